package io.kitex4j.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.client.CallOptions;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.client.KitexClientBuilder;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.server.ServerCallContext;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ClientGovernance}'s retries against real in-JVM kitex4j servers over sockets: every rule of Kitex v0.16's
 * failure, backup and mixed retryers, and kitex4j's idempotence and oneway rules.
 */
@ExtendWith(NettyLeakDetection.class)
class RetryTest {

    /** What a scripted server does with its n-th echoString call (1-based). */
    enum Act { ANSWER, FAIL, STALL }

    static final RetryClassifier REMOTE_ERRORS = (ctx, result, error) -> error instanceof RemoteApplicationException;

    /** An InteropService whose echoString answers, fails or stalls as scripted, recording RetryReq. */
    static final class Scripted extends InteropHandler {
        final AtomicInteger calls = new AtomicInteger();
        final List<String> retryReqs = new CopyOnWriteArrayList<>();
        final List<Long> receivedNanos = new CopyOnWriteArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);
        volatile IntFunction<Act> script = n -> Act.ANSWER;

        Scripted(String name) {
            super(name);
        }

        @Override
        public String echoString(String value) {
            final int n = calls.incrementAndGet();
            receivedNanos.add(System.nanoTime());
            final String r = ServerCallContext.current().metainfo().persistentValue("RetryReq");
            retryReqs.add(r == null ? "" : r);
            switch (script.apply(n)) {
                case FAIL -> throw new IllegalStateException("scripted failure " + n);
                case STALL -> {
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                default -> { }
            }
            return value + "@" + n;
        }
    }

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Scripted handler(String name) {
        final Scripted h = new Scripted(name);
        // Stalled handlers must not hold the server's close up.
        closeables.add(h.release::countDown);
        return h;
    }

    private String serve(InteropHandler handler) {
        final KitexServer server = KitexServer.builder().service(InteropService.class, handler)
                // A thread per stalled handler, at once.
                .executor(Executors.newCachedThreadPool(), true).shutdownHook(false).build();
        server.start().join();
        closeables.add(0, server);
        return "127.0.0.1:" + server.localAddress().getPort();
    }

    private KitexClientBuilder client(ClientGovernance g, String... addresses) {
        return KitexClient.builder().service("interop").addresses(addresses).transport(Transport.TTHEADER_FRAMED)
                .middleware(g.middleware()).timeoutProvider(g.timeoutProvider());
    }

    private InteropService.Iface stub(KitexClientBuilder b) {
        final KitexClient c = b.build();
        closeables.add(c);
        return c.stub(InteropService.Iface.class);
    }

    private static ClientGovernance governance(RetryPolicy policy, RetryClassifier classifier, String... idempotent) {
        final ClientGovernance.Builder b = ClientGovernance.builder()
                .policies(ClientPolicies.builder().retry("*", policy).build()).idempotent(idempotent);
        if (classifier != null) {
            b.classifier(classifier);
        }
        return b.build();
    }

    // ------------------------------------------------------------------ failure retry

    @Test
    void aFailedAttemptIsRetriedOnTheOtherInstanceCarryingRetryReq() throws Exception {
        final Scripted failing = handler("failing");
        failing.script = n -> Act.FAIL;
        final Scripted healthy = handler("healthy");
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().build(), REMOTE_ERRORS, "*"),
                serve(failing), serve(healthy)));
        // Few enough calls that the failures stay under the retry circuit break's 10 samples.
        for (int i = 0; i < 4; i++) {
            assertThat(echo.echoString("x")).startsWith("x@");
        }
        // Round robin sent some first attempts to the failing one; each was retried on the healthy one.
        assertThat(failing.calls.get()).isPositive();
        assertThat(failing.retryReqs).containsOnly("");
        assertThat(healthy.retryReqs).filteredOn("1"::equals).hasSize(failing.calls.get());
        assertThat(healthy.calls.get()).isEqualTo(4);
    }

    @Test
    void retriesStopAtMaxRetryTimesWithRetryReqCountingUp() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> Act.FAIL;
        final String address = serve(h);
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().maxRetryTimes(3).build(),
                REMOTE_ERRORS, "*"), address));
        assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class)
                .hasMessageContaining("scripted failure 4");
        assertThat(h.retryReqs).containsExactly("", "1", "2", "3");

        h.retryReqs.clear();
        final InteropService.Iface none = stub(client(governance(RetryPolicy.failure().maxRetryTimes(0).build(),
                REMOTE_ERRORS, "*"), address));
        assertThatThrownBy(() -> none.echoString("x")).isInstanceOf(RemoteApplicationException.class);
        assertThat(h.retryReqs).containsExactly("");
    }

    @Test
    void timeoutsAreRetriedByDefaultAndOtherErrorsOnlyByTheClassifier() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> n == 1 ? Act.STALL : n == 2 ? Act.FAIL : Act.ANSWER;
        final String address = serve(h);
        final ClientGovernance g = ClientGovernance.builder().policies(ClientPolicies.builder()
                        .retry("*", RetryPolicy.failure().build())
                        .timeout("echoString", new TimeoutPolicy(Duration.ofMillis(300), null)).build())
                .idempotent("echoString").build();
        final InteropService.Iface echo = stub(client(g, address));
        // Attempt 1 times out and is retried; attempt 2 fails, which no classifier retries.
        assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class)
                .hasMessageContaining("scripted failure 2");
        assertThat(h.retryReqs).containsExactly("", "1");

        h.calls.set(0);
        h.retryReqs.clear();
        final InteropService.Iface noTimeoutRetry = stub(client(ClientGovernance.builder().policies(ClientPolicies
                .builder().retry("*", RetryPolicy.failure().retryOnTimeout(false).build())
                .timeout("*", new TimeoutPolicy(Duration.ofMillis(300), null)).build()).idempotent("*").build(), address));
        assertThatThrownBy(() -> noTimeoutRetry.echoString("x")).isInstanceOf(RpcTimeoutException.class);
        assertThat(h.retryReqs).containsExactly("");
    }

    @Test
    void aClassifierCanRetryAnAnswer() throws Exception {
        final Scripted h = handler("h");
        final RetryClassifier firstAnswer = (ctx, result, error) -> "x@1".equals(result);
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().build(), firstAnswer, "*"),
                serve(h)));
        assertThat(echo.echoString("x")).isEqualTo("x@2");
    }

    @Test
    void thePoliciesOwnClassifierAppliesWhenTheGovernanceHasNone() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> n == 1 ? Act.FAIL : Act.ANSWER;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().classifier(REMOTE_ERRORS).build(),
                null, "*"), serve(h)));
        assertThat(echo.echoString("x")).isEqualTo("x@2");
    }

    @Test
    void aNonIdempotentMethodIsNotSentAgainAfterItMayHaveBeenProcessed() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> Act.FAIL;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().build(), REMOTE_ERRORS,
                "someOtherMethod"), serve(h)));
        assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class);
        assertThat(h.calls.get()).isEqualTo(1);
    }

    @Test
    void aFailureThatProvesTheServerNeverSawTheRequestIsRetriedEvenIfNotIdempotentButNeverAOneway() throws Exception {
        final String closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = "127.0.0.1:" + s.getLocalPort();
        }
        final AtomicInteger attempts = new AtomicInteger();
        final Middleware counting = next -> (ctx, req) -> {
            attempts.incrementAndGet();
            return next.invoke(ctx, req);
        };
        final ClientGovernance g = governance(RetryPolicy.failure().maxRetryTimes(2).build(),
                (ctx, r, e) -> e instanceof ConnectFailedException);
        final KitexClient c = client(g, closed).maxAttempts(1).middleware(counting).build();
        closeables.add(c);
        assertThatThrownBy(() -> c.stub(InteropService.Iface.class).echoString("x"))
                .isInstanceOf(ConnectFailedException.class);
        assertThat(attempts.get()).isEqualTo(3);

        attempts.set(0);
        assertThatThrownBy(() -> c.async(InteropService.Iface.class).run(i -> i.onewayPut("k", "v")).join())
                .hasCauseInstanceOf(ConnectFailedException.class);
        assertThat(attempts.get()).isEqualTo(1);
    }

    @Test
    void noAttemptStartsAfterTheMaxDuration() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> Act.STALL;
        final String address = serve(h);
        final ClientGovernance g = ClientGovernance.builder().policies(ClientPolicies.builder()
                .retry("*", RetryPolicy.failure().maxRetryTimes(5).maxDuration(Duration.ofMillis(450)).build())
                .timeout("*", new TimeoutPolicy(Duration.ofMillis(300), null)).build()).idempotent("*").build();
        final InteropService.Iface echo = stub(client(g, address));
        // Attempt 1 ends at ~300 ms (< 450: attempt 2 starts), attempt 2 at ~600 ms (> 450: no attempt 3).
        assertThatThrownBy(() -> echo.echoString("x"))
                .isInstanceOf(RetryFailedException.class)
                .hasMessage("retry error: retry[1] failed, exceed max duration[450ms], toService=interop, "
                        + "method=echoString, remote=" + address)
                .hasCauseInstanceOf(RpcTimeoutException.class);
        assertThat(h.retryReqs).containsExactly("", "1");
    }

    @Test
    void aFixedBackoffWaitsBeforeEachRetry() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> Act.FAIL;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure()
                .backoff(Backoff.fixed(Duration.ofMillis(200))).build(), REMOTE_ERRORS, "*"), serve(h)));
        assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class);
        assertThat(h.receivedNanos).hasSize(3);
        for (int i = 1; i < 3; i++) {
            assertThat(h.receivedNanos.get(i) - h.receivedNanos.get(i - 1))
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    @Test
    void aRandomBackoffDrawsFromItsRange() {
        final Backoff b = Backoff.random(Duration.ofMillis(10), Duration.ofMillis(20));
        for (int i = 0; i < 200; i++) {
            assertThat(io.kitex4j.governance.internal.RetryMiddlewareAccess.backoffMillis(b)).isBetween(10L, 19L);
        }
        assertThat(io.kitex4j.governance.internal.RetryMiddlewareAccess.backoffMillis(Backoff.none())).isZero();
        assertThat(io.kitex4j.governance.internal.RetryMiddlewareAccess.backoffMillis(Backoff.fixed(Duration.ofMillis(7))))
                .isEqualTo(7);
    }

    @Test
    void retrySameNodeSendsEveryAttemptToTheFirstAttemptsInstance() throws Exception {
        final Scripted a = handler("a");
        a.script = n -> Act.FAIL;
        final Scripted b = handler("b");
        b.script = n -> Act.FAIL;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().retrySameNode(true).build(),
                REMOTE_ERRORS, "*"), serve(a), serve(b)));
        // 3 calls of 3 attempts: 9 samples, under the retry circuit break's minimum of 10.
        for (int i = 0; i < 3; i++) {
            final int before = a.calls.get();
            assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class);
            assertThat(a.calls.get() - before).isIn(0, 3);
        }
        assertThat(a.calls.get() + b.calls.get()).isEqualTo(9);
        assertThat(a.calls.get()).isPositive();
        assertThat(b.calls.get()).isPositive();
    }

    // ------------------------------------------------------------------ chain stop

    @Test
    void aCallWhoseMetainfoCarriesRetryReqIsNotRetriedUnlessChainStopIsDisabled() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> Act.FAIL;
        final String address = serve(h);
        final CallOptions retried = CallOptions.builder().metainfo(Metainfo.empty().withPersistent("RetryReq", "1")).build();
        final KitexClient c = client(governance(RetryPolicy.failure().build(), REMOTE_ERRORS, "*"), address).build();
        closeables.add(c);
        assertThatThrownBy(() -> c.call("InteropService", "echoString", new InteropService.echoString_args("x"),
                InteropService.echoString_result::new, retried).join())
                .cause().isInstanceOf(RemoteApplicationException.class)
                .hasMessageEndingWith("[chain stop retry]");
        assertThat(h.retryReqs).containsExactly("1");

        h.retryReqs.clear();
        final KitexClient noChainStop = client(governance(RetryPolicy.failure().chainStop(false).build(), REMOTE_ERRORS,
                "*"), address).build();
        closeables.add(noChainStop);
        assertThatThrownBy(() -> noChainStop.call("InteropService", "echoString", new InteropService.echoString_args("x"),
                InteropService.echoString_result::new, retried).join())
                .cause().isInstanceOf(RemoteApplicationException.class);
        // The inherited marker goes out with the first attempt; the retries carry their own count.
        assertThat(h.retryReqs).containsExactly("1", "1", "2");
    }

    @Test
    void aServerWhoseRequestIsARetryDoesNotRetryItsOwnDownstreamCall() throws Exception {
        final Scripted down = handler("down");
        down.script = n -> Act.FAIL;
        final String downAddress = serve(down);
        final InteropService.Iface downstream = stub(client(governance(RetryPolicy.failure().maxRetryTimes(2).build(),
                REMOTE_ERRORS, "*"), downAddress));
        final AtomicInteger middleCalls = new AtomicInteger();
        final InteropHandler middle = new InteropHandler("middle") {
            @Override
            public String echoString(String value) {
                middleCalls.incrementAndGet();
                try {
                    return downstream.echoString(value);
                } catch (org.apache.thrift.TException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        final InteropService.Iface upstream = stub(client(governance(RetryPolicy.failure().maxRetryTimes(1).build(),
                REMOTE_ERRORS, "*"), serve(middle)));
        assertThatThrownBy(() -> upstream.echoString("x")).isInstanceOf(RemoteApplicationException.class);
        assertThat(middleCalls.get()).isEqualTo(2);
        // The middle's first request: 1 + 2 retries downstream; its second (a retry): 1, marked by the upstream.
        assertThat(down.retryReqs).containsExactly("", "1", "2", "1");
    }

    // ------------------------------------------------------------------ retry circuit break

    @Test
    void retriesStopWhileRetriesAreAtTheThresholdShareOfAttemptsWithTenSamples() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> Act.FAIL;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().maxRetryTimes(2).build(),
                REMOTE_ERRORS, "*"), serve(h)));
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("circuit break"));
        }
        assertThat(h.calls.get()).isEqualTo(9);
        // Kitex's percentage limit: 3 first attempts and 6 retries so far; the 4th call's first attempt is the
        // 10th sample, 6 of 10 are retries: no retry, and the error says why (as Go's, GOVERNANCE-FLAGS.md).
        assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class)
                .hasMessageEndingWith("[retried 0, retry circuit break, errRate=0.600, sample=10]");
        assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class)
                .hasMessageEndingWith("[retried 0, retry circuit break, errRate=0.545, sample=11]");
        assertThat(h.calls.get()).isEqualTo(11);
    }

    @Test
    void theShareOfRetriesNotTheFailureRateTripsTheRetryCircuitBreakAsInGo() throws Exception {
        final Scripted h = handler("h");
        // The run GOVERNANCE-FLAGS.md records for a Go client (-max-retry 1 -retry-breaker-rate 0.3, every 3rd
        // call fails): 29 of 30 calls succeed, the one refused retry at errRate=0.300, sample=30.
        h.script = n -> n % 3 == 0 ? Act.FAIL : Act.ANSWER;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().maxRetryTimes(1)
                .retryBreakerErrorRate(0.3).build(), REMOTE_ERRORS, "*"), serve(h)));
        final List<String> refused = new ArrayList<>();
        int ok = 0;
        for (int i = 0; i < 30; i++) {
            try {
                echo.echoString("x");
                ok++;
            } catch (RemoteApplicationException e) {
                refused.add(i + ": " + e.extraMessage());
            }
        }
        assertThat(ok).isEqualTo(29);
        assertThat(refused).containsExactly("20: retried 0, retry circuit break, errRate=0.300, sample=30");
    }

    @Test
    void successesKeepTheErrorRateBelowTheThreshold() throws Exception {
        final Scripted h = handler("h");
        // One call in 20 fails: the rate stays below the default threshold of 0.1, so each failure is retried.
        h.script = n -> n % 20 == 15 ? Act.FAIL : Act.ANSWER;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.failure().build(), REMOTE_ERRORS, "*"),
                serve(h)));
        for (int i = 0; i < 30; i++) {
            assertThat(echo.echoString("x")).startsWith("x@");
        }
    }

    // ------------------------------------------------------------------ backup and mixed

    @Test
    void aBackupRequestAnswersWhileTheFirstAttemptStalls() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> n == 1 ? Act.STALL : Act.ANSWER;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.backup(Duration.ofMillis(50)).build(),
                null, "*"), serve(h)));
        // The first attempt is still stalled (its latch is never released before the answer).
        assertThat(echo.echoString("x")).isEqualTo("x@2");
        assertThat(h.retryReqs).containsExactlyInAnyOrder("", "1");
    }

    @Test
    void backupSendsAtMostMaxRetryTimesCopiesAndTheFirstAnswerWins() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> Act.STALL;
        final KitexClient c = client(governance(RetryPolicy.backup(Duration.ofMillis(50)).maxRetryTimes(2).build(),
                null, "*"), serve(h)).build();
        closeables.add(c);
        final CompletableFuture<String> call = c.async(InteropService.Iface.class).call(i -> i.echoString("x"));
        await().until(() -> h.calls.get() == 3);
        Thread.sleep(300);
        assertThat(h.calls.get()).isEqualTo(3);
        assertThat(call).isNotDone();
        h.release.countDown();
        assertThat(call.get(5, TimeUnit.SECONDS)).matches("x@[123]");
        // Backup copies may overtake the first attempt on the way.
        assertThat(h.retryReqs).containsExactlyInAnyOrder("", "1", "2");
    }

    @Test
    void aNonIdempotentMethodGetsNoBackupCopy() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> n == 1 ? Act.STALL : Act.ANSWER;
        final KitexClient c = client(governance(RetryPolicy.backup(Duration.ofMillis(20)).build(), null), serve(h)).build();
        closeables.add(c);
        final CompletableFuture<String> call = c.async(InteropService.Iface.class).call(i -> i.echoString("x"));
        Thread.sleep(300);
        assertThat(h.calls.get()).isEqualTo(1);
        h.release.countDown();
        assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("x@1");
    }

    @Test
    void mixedRetriesAFailureAtOnceAndSendsABackupForAStall() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> n == 1 ? Act.FAIL : n == 2 ? Act.STALL : Act.ANSWER;
        final InteropService.Iface echo = stub(client(governance(RetryPolicy.mixed(Duration.ofMillis(100))
                .maxRetryTimes(3).build(), REMOTE_ERRORS, "*"), serve(h)));
        assertThat(echo.echoString("x")).isEqualTo("x@3");
        assertThat(h.retryReqs).containsExactly("", "1", "2");
    }

    @Test
    void mixedWaitsForTheOutstandingAttemptsWhenTheLastOneFails() throws Exception {
        final Scripted h = handler("h");
        // 1 stalls; the backup (2) fails: no attempts left, so the answer of 1 is awaited.
        h.script = n -> n == 1 ? Act.STALL : Act.FAIL;
        final KitexClient c = client(governance(RetryPolicy.mixed(Duration.ofMillis(50)).maxRetryTimes(1).build(),
                REMOTE_ERRORS, "*"), serve(h)).build();
        closeables.add(c);
        final CompletableFuture<String> call = c.async(InteropService.Iface.class).call(i -> i.echoString("x"));
        await().until(() -> h.calls.get() == 2);
        Thread.sleep(200);
        assertThat(call).isNotDone();
        h.release.countDown();
        assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("x@1");
    }

    // ------------------------------------------------------------------ timeouts, builder, wiring

    @Test
    void theTimeoutProviderMapsEachMethodsTimeoutPolicy() {
        final ClientGovernance g = ClientGovernance.builder().policies(ClientPolicies.builder()
                .timeout("*", new TimeoutPolicy(Duration.ofSeconds(1), null))
                .timeout("echoString", new TimeoutPolicy(Duration.ofMillis(50), Duration.ofMillis(20))).build()).build();
        assertThat(g.timeoutProvider().timeouts(context("echoString")))
                .isEqualTo(new io.kitex4j.core.rpc.Timeouts(Duration.ofMillis(50), Duration.ofMillis(20)));
        assertThat(g.timeoutProvider().timeouts(context("ping")))
                .isEqualTo(new io.kitex4j.core.rpc.Timeouts(Duration.ofSeconds(1), null));
        assertThat(ClientGovernance.builder().policies(ClientPolicies.empty()).build().timeoutProvider()
                .timeouts(context("ping"))).isNull();
    }

    @Test
    void theTimeoutPolicyBoundsEachAttempt() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> Act.STALL;
        final ClientGovernance g = ClientGovernance.builder().policies(ClientPolicies.builder()
                .timeout("echoString", new TimeoutPolicy(Duration.ofMillis(200), null)).build()).build();
        final InteropService.Iface echo = stub(client(g, serve(h)).rpcTimeout(Duration.ofSeconds(20)));
        assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RpcTimeoutException.class)
                .hasMessageContaining("timeout=200ms");
    }

    @Test
    void policiesAreReadOnEveryCall() throws Exception {
        final Scripted h = handler("h");
        h.script = n -> n <= 2 ? Act.FAIL : Act.ANSWER;
        final ClientPolicies none = ClientPolicies.empty();
        final ClientPolicies retry = ClientPolicies.builder().retry("echoString", RetryPolicy.failure().build()).build();
        final java.util.concurrent.atomic.AtomicReference<ClientPolicies> current =
                new java.util.concurrent.atomic.AtomicReference<>(none);
        final ClientGovernance g = ClientGovernance.builder().policies(current::get).idempotent("*")
                .classifier(REMOTE_ERRORS).build();
        final InteropService.Iface echo = stub(client(g, serve(h)));
        assertThatThrownBy(() -> echo.echoString("x")).isInstanceOf(RemoteApplicationException.class);
        current.set(retry);
        assertThat(echo.echoString("x")).isEqualTo("x@3");
    }

    @Test
    void badBuilderArgumentsFailAtBuildNamingTheArgument() {
        assertThatThrownBy(() -> ClientGovernance.builder().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("policies:");
        assertThatThrownBy(() -> ClientGovernance.builder().policies(ClientPolicies.empty()).idempotent("Echo", "").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("idempotent:");
        assertThatThrownBy(() -> ClientGovernance.builder().policies(ClientPolicies.empty())
                .idempotent((String) null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("idempotent:");
        final ScheduledExecutorService stopped = Executors.newSingleThreadScheduledExecutor();
        stopped.shutdown();
        assertThatThrownBy(() -> ClientGovernance.builder().policies(ClientPolicies.empty()).scheduler(stopped).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("scheduler:");
        assertThatThrownBy(() -> ClientGovernance.builder().policies(null))
                .isInstanceOf(NullPointerException.class).hasMessage("policies");
        assertThatThrownBy(() -> RetryPolicy.failure().maxRetryTimes(6).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("maxRetryTimes:");
        assertThatThrownBy(() -> RetryPolicy.failure().maxRetryTimes(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("maxRetryTimes:");
    }

    @Test
    void goDurationsPrintAsKitexPrintsThem() {
        assertThat(io.kitex4j.governance.internal.RetryMiddlewareAccess.goDuration(Duration.ofMillis(450))).isEqualTo("450ms");
        assertThat(io.kitex4j.governance.internal.RetryMiddlewareAccess.goDuration(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(io.kitex4j.governance.internal.RetryMiddlewareAccess.goDuration(Duration.ofSeconds(2))).isEqualTo("2s");
        assertThat(io.kitex4j.governance.internal.RetryMiddlewareAccess.goDuration(Duration.ofSeconds(90))).isEqualTo("1m30s");
    }

    private static CallContext context(String method) {
        return new CallContext() {
            @Override public Side side() { return Side.CLIENT; }
            @Override public String callerService() { return ""; }
            @Override public String callerMethod() { return ""; }
            @Override public String calleeService() { return "interop"; }
            @Override public String idlService() { return "InteropService"; }
            @Override public String method() { return method; }
            @Override public Transport transport() { return Transport.TTHEADER_FRAMED; }
            @Override public boolean oneway() { return false; }
            @Override public Duration rpcTimeout() { return null; }
            @Override public long deadlineNanos() { return 0; }
            @Override public java.net.InetSocketAddress remoteAddress() { return null; }
            @Override public int attempt() { return 1; }
            @Override public Metainfo metainfo() { return Metainfo.empty(); }
            @Override public void setMetainfo(Metainfo metainfo) { }
            @Override public java.util.Map<String, String> backwardValues() { return java.util.Map.of(); }
            @Override public void sendBackward(String key, String value) { }
            @Override public <T> T attribute(io.kitex4j.core.rpc.AttributeKey<T> key) { return null; }
            @Override public <T> void setAttribute(io.kitex4j.core.rpc.AttributeKey<T> key, T value) { }
        };
    }
}
