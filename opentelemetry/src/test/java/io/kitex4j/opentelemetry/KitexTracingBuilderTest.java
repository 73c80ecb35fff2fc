package io.kitex4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;

/** The builder's defaults and checks, and the default propagator's order and fields. */
class KitexTracingBuilderTest {

    @Test
    void defaults() {
        final KitexTracing t = KitexTracing.builder().build();
        assertThat(t.propagator()).isSameAs(KitexTracing.defaultPropagator());
        assertThat(t.serviceName()).isEmpty();
        assertThat(t.serviceNamespace()).isEmpty();
        assertThat(t.deploymentEnvironment()).isEmpty();
        assertThat(t.clientMiddleware()).isSameAs(t.clientMiddleware());
        assertThat(t.serverMiddleware()).isNotSameAs(t.clientMiddleware());
        // GlobalOpenTelemetry when none is given: nothing registered here, so the no-op.
        assertThat(GlobalOpenTelemetry.get()).isNotNull();
    }

    @Test
    void theDefaultPropagatorHasObsOpentelemetrysFieldsInItsOrder() {
        assertThat(KitexTracing.defaultPropagator().fields()).containsSubsequence(
                "b3", "ot-tracer-traceid", "ot-tracer-spanid", "ot-tracer-sampled", "baggage", "traceparent",
                "tracestate");
        // An invalid context injects nothing.
        final List<String> keys = new ArrayList<>();
        final TextMapSetter<List<String>> setter = (c, k, v) -> c.add(k);
        KitexTracing.defaultPropagator().inject(Context.root(), keys, setter);
        assertThat(keys).isEmpty();
    }

    @Test
    void badArgumentsAreRefusedWithWhatWasExpected() {
        assertThatThrownBy(() -> KitexTracing.builder().idlPackage("", "echo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("idlService: \"\" (expected: an IDL service name, e.g. EchoServer)");
        assertThatThrownBy(() -> KitexTracing.builder().serviceName(null)).isInstanceOf(NullPointerException.class)
                                                                           .hasMessage("serviceName");
        assertThatThrownBy(() -> KitexTracing.builder().openTelemetry(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aCustomPropagatorAndOpenTelemetryAreUsed() {
        final KitexTracing t = KitexTracing.builder().openTelemetry(OpenTelemetry.noop())
                                           .propagator(W3CTraceContextPropagator.getInstance())
                                           .serviceName("svc").build();
        assertThat(t.propagator()).isSameAs(W3CTraceContextPropagator.getInstance());
        assertThat(t.serviceName()).isEqualTo("svc");
        assertThat(t.toString()).contains("svc");
    }
}
