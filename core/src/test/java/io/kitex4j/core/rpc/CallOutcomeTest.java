package io.kitex4j.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.RpcTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Declared exceptions need libthrift, which core's tests do not have: kitex4j-micrometer's tests cover them. */
class CallOutcomeTest {

    @Test
    void classifiesEachKindAndUnwrapsFutureWrappers() {
        final RpcTimeoutException timeout = new RpcTimeoutException("rpc timeout", Duration.ofMillis(5), true, null);
        assertThat(CallOutcome.of(null)).isEqualTo(CallOutcome.SUCCESS);
        assertThat(CallOutcome.of(new BizStatusException(1, "m"))).isEqualTo(CallOutcome.BIZ_STATUS);
        assertThat(CallOutcome.of(timeout)).isEqualTo(CallOutcome.TIMEOUT);
        assertThat(CallOutcome.of(new CompletionException(new ExecutionException(timeout)))).isEqualTo(CallOutcome.TIMEOUT);
        assertThat(CallOutcome.of(new ConnectFailedException("no", null))).isEqualTo(CallOutcome.FAILURE);
        assertThat(CallOutcome.of(new IllegalStateException())).isEqualTo(CallOutcome.FAILURE);
        assertThat(CallOutcome.cause(new CompletionException(timeout))).isSameAs(timeout);
        assertThat(CallOutcome.cause(null)).isNull();
    }

    @Test
    void onlyTimeoutsAndFailuresAreErrors() {
        assertThat(CallOutcome.values()).filteredOn(CallOutcome::isError)
                .containsExactly(CallOutcome.TIMEOUT, CallOutcome.FAILURE);
    }
}
