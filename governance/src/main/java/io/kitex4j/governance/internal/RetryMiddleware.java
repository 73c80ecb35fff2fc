package io.kitex4j.governance.internal;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.RpcException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.governance.Backoff;
import io.kitex4j.governance.ClientPolicySource;
import io.kitex4j.governance.RetryClassifier;
import io.kitex4j.governance.RetryFailedException;
import io.kitex4j.governance.RetryPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kitex v0.16's retryers ({@code pkg/retry}: failure, backup, mixed) as a kitex4j client middleware. Each
 * invocation of {@code next} is one attempt (the call path gives it its own RPC timeout, metainfo snapshot and
 * instance); the rules and texts are Kitex's:
 *
 * <ul>
 *   <li>No retry at all (Kitex's {@code AllowRetry}) for a oneway call, a method without a policy, max retry
 *       times 0, or, with chain stop, a call whose metainfo already carries {@code RetryReq} (the request being
 *       served was itself a retry): its failure gets {@code [chain stop retry]} appended.
 *   <li>Attempt n &gt; 1 carries the persistent metainfo {@code RetryReq = n-1}, and {@link
 *       CallContext#SAME_INSTANCE} when the policy retries on the same node.
 *   <li>Before another attempt: max duration (else {@link RetryFailedException} {@code retry[n] failed, exceed
 *       max duration[...]}), the retry circuit break, the deadline stop, the backoff. The retry circuit break
 *       is Kitex's default container's ({@code NewRetryContainerWithPercentageLimit}, which config-etcd's suite
 *       builds too): each attempt is counted when it starts, a first attempt as a success and a further one as a
 *       failure, in the method's 10 s window; with at least 10 samples, no further attempt starts while the share
 *       of further attempts is at least the policy's rate: {@code [retried n, retry circuit break,
 *       errRate=0.600, sample=10]}. Outcomes are not counted (that is the service circuit breaker's job).
 *   <li>Failure retry: sequential; retries timeouts (unless turned off) and what the classifier retries.
 *       Backup: a copy every retry delay while none answered, the first answer (good or bad) wins, the others
 *       are cancelled. Mixed: both; a retryable answer starts the next attempt at once, the last one's answer
 *       wins.
 * </ul>
 *
 * <p>kitex4j's addition: an outcome that may have been processed by the server is retried only for an
 * idempotent method, and a non-idempotent method gets no backup copies.
 */
public final class RetryMiddleware implements Middleware {

    /** The persistent metainfo key of a retried request (Kitex's {@code retry.TransitKey}). */
    public static final String RETRY_REQ = "RetryReq";

    private static final Logger log = LoggerFactory.getLogger(RetryMiddleware.class);

    private final ClientPolicySource source;
    private final Set<String> idempotent;
    private final boolean allIdempotent;
    private final RetryClassifier classifier;
    private final ScheduledExecutorService scheduler;
    // The retry circuit break's windows, keyed as Kitex's service breaker (RPCInfo2Key: from/to/method), nested
    // so that a lookup builds no key string.
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, ConcurrentHashMap<String, ErrorWindow>>> windows =
            new ConcurrentHashMap<>();

    /**
     * A middleware over {@code source}'s retry policies.
     *
     * @param classifier replaces every policy's classifier, or {@code null} to use each policy's
     */
    public RetryMiddleware(ClientPolicySource source, Set<String> idempotent, RetryClassifier classifier,
                           ScheduledExecutorService scheduler) {
        this.source = source;
        this.idempotent = Set.copyOf(idempotent);
        this.allIdempotent = idempotent.contains("*");
        this.classifier = classifier;
        this.scheduler = scheduler;
    }

    @Override
    public Endpoint wrap(Endpoint next) {
        return (ctx, request) -> invoke(next, ctx, request);
    }

    /** The retry circuit break's window of a method, as {@code from/to/method}; for tests and metrics. */
    public ErrorWindow window(String callerService, String calleeService, String method) {
        return windows.computeIfAbsent(callerService, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(calleeService, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(method, k -> new ErrorWindow());
    }

    private CompletableFuture<Object> invoke(Endpoint next, CallContext ctx, Object request) {
        final RetryPolicy policy = ctx.oneway() ? null : source.current().retry(ctx.method());
        if (policy == null) {
            return attempt(next, ctx, request);
        }
        final boolean idem = allIdempotent || idempotent.contains(ctx.method());
        final RetryClassifier cls = classifier != null ? classifier : policy.classifier();
        final String stop = allowRetry(ctx, policy, idem);
        if (stop != null) {
            final CompletableFuture<Object> f = attempt(next, ctx, request);
            if (stop.isEmpty()) {
                return f;
            }
            // Kitex's AppendErrMsgIfNeeded: on an outcome the retryer would have retried.
            return f.whenComplete((v, e) -> {
                final Throwable cause = unwrap(e);
                if (cause != null && (policy.type() == RetryPolicy.Type.BACKUP ? cause instanceof RpcTimeoutException
                        : isRetryError(ctx, policy, cls, cause))) {
                    appendMessage(cause, stop);
                }
            });
        }
        final CallContext serving = CallContext.current();
        final long servingDeadline = serving != null && serving.side() == CallContext.Side.SERVER
                ? serving.deadlineNanos() : 0;
        final Call call = new Call(next, ctx, request, policy, cls, idem, servingDeadline,
                window(ctx.callerService(), ctx.calleeService(), ctx.method()));
        call.start();
        return call.result;
    }

    /** Why the call may not retry at all ({@code ""}: silently), or {@code null} if it may (Kitex's AllowRetry). */
    private static String allowRetry(CallContext ctx, RetryPolicy policy, boolean idem) {
        if (policy.maxRetryTimes() == 0) {
            return "";
        }
        if (policy.chainStop() && ctx.metainfo().persistentValue(RETRY_REQ) != null) {
            return "chain stop retry";
        }
        if (policy.type() != RetryPolicy.Type.FAILURE && !idem) {
            // A backup copy is a second processing of the request: only for idempotent methods.
            return "";
        }
        return null;
    }

    /**
     * One attempt through the rest of the chain.
     */
    private static CompletableFuture<Object> attempt(Endpoint next, CallContext ctx, Object request) {
        // next is ClientGovernance's breakers around the rest of the chain: each attempt is judged, as Kitex's
        // cbsuite middleware sits under its retryer (and the instance gate in the client's picker).
        try {
            final CompletableFuture<Object> f = next.invoke(ctx, request);
            return f != null ? f : CompletableFuture.failedFuture(new NullPointerException("endpoint returned null"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static boolean isRetryError(CallContext ctx, RetryPolicy policy, RetryClassifier cls, Throwable error) {
        if (policy.retryOnTimeout() && error instanceof RpcTimeoutException) {
            return true;
        }
        return classify(cls, ctx, null, error);
    }

    private static boolean classify(RetryClassifier cls, CallContext ctx, Object result, Throwable error) {
        try {
            return cls.shouldRetry(ctx, result, error);
        } catch (RuntimeException e) {
            log.warn("Retry classifier {} failed on {}.{}; not retrying", cls, ctx.calleeService(), ctx.method(), e);
            return false;
        }
    }

    static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static void appendMessage(Throwable error, String message) {
        if (error instanceof RpcException r) {
            r.setExtraMessage(message);
        }
    }

    /** Go's {@code time.Duration.String()} for whole milliseconds, as Kitex prints the max duration. */
    static String goDuration(Duration d) {
        final long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms < 1000) {
            return ms + "ms";
        }
        final long h = ms / 3_600_000;
        final long m = ms / 60_000 % 60;
        final long msInMinute = ms % 60_000;
        final StringBuilder b = new StringBuilder();
        if (h > 0) {
            b.append(h).append('h');
        }
        if (h > 0 || m > 0) {
            b.append(m).append('m');
        }
        b.append(msInMinute / 1000);
        if (msInMinute % 1000 != 0) {
            String frac = String.format(Locale.ROOT, "%03d", msInMinute % 1000);
            while (frac.endsWith("0")) {
                frac = frac.substring(0, frac.length() - 1);
            }
            b.append('.').append(frac);
        }
        return b.append('s').toString();
    }

    private static String remote(CallContext ctx) {
        final InetSocketAddress a = ctx.remoteAddress();
        if (a == null) {
            return "";
        }
        final String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return ", remote=" + (host.indexOf(':') >= 0 ? '[' + host + ']' : host) + ':' + a.getPort();
    }

    @Override
    public String toString() {
        return "RetryMiddleware{policies=" + source + ", idempotent=" + idempotent + '}';
    }

    /** One call's retries: every event (an attempt's end, a timer) is handled under its lock. */
    private final class Call {
        final Endpoint next;
        final CallContext ctx;
        final Object request;
        final RetryPolicy policy;
        final RetryClassifier cls;
        final boolean idem;
        final long servingDeadline;
        final ErrorWindow window;
        final Metainfo base;
        final long start = System.nanoTime();
        final CompletableFuture<Object> result = new CompletableFuture<>();
        final List<CompletableFuture<Object>> outstanding = new ArrayList<>(2);
        // Attempts started, attempts ended.
        int callTimes;
        int doneCount;
        boolean finished;
        // The outcome finish() chose, delivered by flush() outside the lock (callbacks of the caller run then).
        boolean undelivered;
        Object outcomeValue;
        Throwable outcomeError;
        Future<?> backupTimer;
        Future<?> pendingStart;

        Call(Endpoint next, CallContext ctx, Object request, RetryPolicy policy, RetryClassifier cls, boolean idem,
             long servingDeadline, ErrorWindow window) {
            this.next = next;
            this.ctx = ctx;
            this.request = request;
            this.policy = policy;
            this.cls = cls;
            this.idem = idem;
            this.servingDeadline = servingDeadline;
            this.window = window;
            this.base = ctx.metainfo();
        }

        int maxCalls() {
            return policy.maxRetryTimes() + 1;
        }

        void start() {
            // However the call ends (an answer, a give-up, a cancellation from outside): nothing stays running.
            result.whenComplete((v, e) -> cleanUp());
            synchronized (this) {
                launch();
                if (policy.type() != RetryPolicy.Type.FAILURE) {
                    scheduleBackup();
                }
            }
            flush();
        }

        // ---- starting attempts (under the lock)

        private void launch() {
            if (finished) {
                return;
            }
            final int n = ++callTimes;
            // Kitex's recordRetryStat: the percentage limit counts attempts, not outcomes.
            if (n == 1) {
                window.success();
            } else {
                window.failure();
            }
            if (n > 1) {
                ctx.setMetainfo(base.withPersistent(RETRY_REQ, Integer.toString(n - 1)));
                if (policy.retrySameNode()) {
                    ctx.setAttribute(CallContext.SAME_INSTANCE, Boolean.TRUE);
                }
            }
            final CompletableFuture<Object> f = attempt(next, ctx, request);
            outstanding.add(f);
            f.whenComplete((v, e) -> onDone(f, v, unwrap(e)));
        }

        /** Starts the next attempt after the backoff (none for backup). */
        private void launchAfterBackoff() {
            final long delayMs = backoffMillis(policy.backoff());
            if (delayMs <= 0) {
                launch();
                return;
            }
            pendingStart = schedule(() -> {
                synchronized (this) {
                    pendingStart = null;
                    launch();
                    if (policy.type() == RetryPolicy.Type.MIXED) {
                        scheduleBackup();
                    }
                }
                flush();
            }, delayMs);
        }

        private void scheduleBackup() {
            if (backupTimer != null) {
                backupTimer.cancel(false);
            }
            backupTimer = schedule(this::onBackupTimer, policy.retryDelay().toMillis());
        }

        private Future<?> schedule(Runnable task, long delayMs) {
            try {
                return scheduler.schedule(() -> {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        finish(null, e);
                        flush();
                    }
                }, delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // The scheduler was shut down: no more attempts; the outstanding ones still answer.
                log.warn("Retry scheduler rejected a task for {}.{}: no further attempt", ctx.calleeService(), ctx.method());
                return null;
            }
        }

        // ---- Kitex's checks before another attempt

        /** Kitex's circuitBreakerStop and ddlStop: the reason not to start another attempt, or {@code null}. */
        private String stopReason() {
            final long samples = window.samples();
            final double rate = window.errorRate();
            if (samples >= RetryPolicy.RETRY_BREAKER_MIN_SAMPLE && rate >= policy.retryBreakerErrorRate()) {
                return String.format(Locale.ROOT, "retry circuit break, errRate=%.3f, sample=%d", rate, samples);
            }
            if (policy.ddlStop() && servingDeadline != 0 && servingDeadline - System.nanoTime() <= 0) {
                // kitex4j's local budget: the request this call serves has passed its deadline.
                return "ddl stop retry";
            }
            return null;
        }

        private boolean exceedsMaxDuration() {
            final Duration max = policy.maxDuration();
            return !max.isZero() && System.nanoTime() - start > max.toNanos();
        }

        private RetryFailedException maxDurationError(Throwable last) {
            return new RetryFailedException("retry[" + (callTimes - 1) + "] failed, exceed max duration["
                    + goDuration(policy.maxDuration()) + "], toService=" + ctx.calleeService() + ", method="
                    + ctx.method() + remote(ctx), last);
        }

        /** Whether the outcome is one the policy retries and may be sent again (Kitex's isRetryResult, plus idempotence). */
        private boolean isRetryResult(Object value, Throwable error) {
            final boolean retryable = error == null ? classify(cls, ctx, value, null)
                    : isRetryError(ctx, policy, cls, error);
            if (!retryable) {
                return false;
            }
            return idem || error instanceof RpcException r && !r.mayHaveReachedServer();
        }

        // ---- events

        private void onDone(CompletableFuture<Object> f, Object value, Throwable error) {
            if (f.isCancelled() || error instanceof CancellationException) {
                // Cancelled by us (a lost race) or by the caller: not an outcome.
                synchronized (this) {
                    outstanding.remove(f);
                }
                return;
            }
            synchronized (this) {
                outstanding.remove(f);
                if (finished) {
                    return;
                }
                doneCount++;
                switch (policy.type()) {
                    case FAILURE -> onFailureRetryDone(value, error);
                    case BACKUP -> finish(value, error);
                    case MIXED -> onMixedDone(value, error);
                }
            }
            flush();
        }

        private void onFailureRetryDone(Object value, Throwable error) {
            if (!isRetryResult(value, error) || callTimes >= maxCalls()) {
                finish(value, error);
                return;
            }
            if (exceedsMaxDuration()) {
                finish(null, maxDurationError(error));
                return;
            }
            final String stop = stopReason();
            if (stop != null) {
                appendMessage(error, "retried " + (callTimes - 1) + ", " + stop);
                finish(value, error);
                return;
            }
            launchAfterBackoff();
        }

        private void onMixedDone(Object value, Throwable error) {
            if (doneCount < maxCalls()) {
                if (callTimes < maxCalls()) {
                    if (isRetryResult(value, error)) {
                        final String stop = stopReason();
                        if (stop == null) {
                            if (pendingStart != null) {
                                // An attempt is already waiting for its backoff.
                                return;
                            }
                            if (exceedsMaxDuration()) {
                                finish(null, maxDurationError(error));
                                return;
                            }
                            if (backupTimer != null) {
                                backupTimer.cancel(false);
                                backupTimer = null;
                            }
                            if (backoffMillis(policy.backoff()) <= 0) {
                                launch();
                                scheduleBackup();
                            } else {
                                launchAfterBackoff();
                            }
                            return;
                        }
                        appendMessage(error, "retried " + (callTimes - 1) + ", " + stop);
                    }
                } else if (isRetryResult(value, error)) {
                    // Others are still out: one of them may answer well.
                    return;
                }
            }
            finish(value, error);
        }

        private void onBackupTimer() {
            try {
                backupTimerLocked();
            } finally {
                flush();
            }
        }

        private void backupTimerLocked() {
            synchronized (this) {
                backupTimer = null;
                if (finished || pendingStart != null) {
                    return;
                }
                if (callTimes >= maxCalls() || stopReason() != null) {
                    // Kitex stops the timer: no more copies, the outstanding attempts answer.
                    return;
                }
                if (policy.type() == RetryPolicy.Type.MIXED) {
                    if (exceedsMaxDuration()) {
                        finish(null, maxDurationError(null));
                        return;
                    }
                    if (backoffMillis(policy.backoff()) > 0) {
                        launchAfterBackoff();
                        return;
                    }
                }
                launch();
                scheduleBackup();
            }
        }

        // ---- the end

        private synchronized void finish(Object value, Throwable error) {
            if (finished) {
                return;
            }
            finished = true;
            undelivered = true;
            outcomeValue = value;
            outcomeError = error;
        }

        /** Completes the call with finish()'s outcome, if one waits; called with the lock released. */
        private void flush() {
            final Object value;
            final Throwable error;
            synchronized (this) {
                if (!undelivered) {
                    return;
                }
                undelivered = false;
                value = outcomeValue;
                error = outcomeError;
                outcomeValue = null;
                outcomeError = null;
            }
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        }

        private void cleanUp() {
            final List<CompletableFuture<Object>> losers;
            synchronized (this) {
                finished = true;
                if (backupTimer != null) {
                    backupTimer.cancel(false);
                    backupTimer = null;
                }
                if (pendingStart != null) {
                    pendingStart.cancel(false);
                    pendingStart = null;
                }
                losers = new ArrayList<>(outstanding);
                outstanding.clear();
                // What the caller's context shows afterwards: the call's own metainfo, not the last attempt's.
                ctx.setMetainfo(base);
                ctx.setAttribute(CallContext.SAME_INSTANCE, null);
            }
            for (CompletableFuture<Object> f : losers) {
                // Aborts the attempt and frees its connection (the call path guarantees it).
                f.cancel(false);
            }
        }
    }

    static long backoffMillis(Backoff backoff) {
        return switch (backoff.type()) {
            case NONE -> 0;
            case FIXED -> backoff.min().toMillis();
            case RANDOM -> ThreadLocalRandom.current().nextLong(backoff.min().toMillis(), backoff.max().toMillis());
        };
    }
}
