package io.kitex4j.registry;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.RegistrationListener;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.Registry;
import io.kitex4j.core.internal.Throwables;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.registry.internal.EtcdCalls;
import io.kitex4j.registry.internal.EtcdChannels;
import io.kitex4j.registry.internal.RegistrationSettings;
import io.kitex4j.registry.internal.TaskScope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registration and the loop that keeps it in etcd.
 *
 * <p>Threading: every mutable field except the volatile ones is touched only on the connection's
 * scheduler thread (through the registry's {@link TaskScope}). etcd calls are asynchronous and hop back to that thread to act on their
 * results, so there is never more than one etcd operation in flight per registration, and no
 * locks. The volatile fields are there for the getters, which any thread may call.
 *
 * <p>The loop, each pass of which is {@link #step()}:
 * <ul>
 *   <li>No lease yet, or the lease was found lost: grant a new lease, put the key under it, start
 *       its keepalive, revoke the previous lease (the key no longer uses it).</li>
 *   <li>Otherwise: get the key and check it is there, under our lease, with our value, and that the
 *       keepalive answered within the TTL; if not, do the above at once.</li>
 *   <li>Success: next pass after {@code observeDelay}. An etcd error: after {@code retryDelay}
 *       (with jitter), until {@code maxAttempts} consecutive errors if that is set.</li>
 *   <li>The keepalive reporting the lease gone (etcd answered TTL 0, or no answer within the TTL)
 *       starts a pass at once, rather than waiting for the next check.</li>
 * </ul>
 */
public final class EtcdRegistration implements Registration {

    private static final Logger logger = LoggerFactory.getLogger(EtcdRegistry.class);

    private final RegistrationSettings settings;
    private final Client client;
    private final KV kv;
    private final Lease leases;
    /** How etcd is reached, to diagnose failures. */
    private final EtcdClientConfig config;
    private final TaskScope loop;
    private final Executor onLoop;
    private final List<RegistrationListener> listeners;
    private final RateLimitedLog startupRetries;
    private final Consumer<EtcdRegistration> onRemoved;
    private final String key;
    private final Instance instance;
    private final ByteSequence keyBytes;
    private final ByteSequence valueBytes;
    private final CompletableFuture<Registration> registered = new CompletableFuture<>();
    private final AtomicReference<CompletableFuture<Void>> deregistration = new AtomicReference<>();

    private volatile RegistrationState state = RegistrationState.REGISTERING;
    private volatile Throwable lastError;
    private volatile long leaseId;
    private volatile long lastKeepAliveNanos;
    /** The last answer etcd gave about this registration: keepalive ack, check or put. */
    private volatile Instant lastContact;
    /** Puts under a new lease after the first; written on the scheduler thread only. */
    private volatile long reRegistrations;
    /** What a diagnosis of the first attempt found, for the dial timeout's message. */
    private volatile EtcdAccessException diagnosis;
    private boolean diagnosing; // scheduler thread only
    private boolean startupTimedOut; // scheduler thread only

    // Scheduler-thread only.
    private long grantedTtlSeconds;
    private CloseableClient keepAlive;
    private int consecutiveFailures;
    private boolean leaseLost;
    private boolean busy;
    private boolean everRegistered;
    private boolean etcdUnreachable;
    private ScheduledFuture<?> next;
    private CompletableFuture<Void> inFlight = CompletableFuture.completedFuture(null);
    private long startupDeadlineNanos;

    /**
     * @param loop the registry's share of the scheduler thread
     * @param listeners told of every state change, on that thread; the registry's live list (listeners
     *     may be added later)
     * @param startupRetries the registry's rate limit of start-up retry lines
     * @param onRemoved told when the registration is gone, so that its key can be registered again
     */
    EtcdRegistration(RegistrationSettings settings, Client client, EtcdClientConfig config, TaskScope loop,
                     List<RegistrationListener> listeners, RateLimitedLog startupRetries,
                     Consumer<EtcdRegistration> onRemoved, String key, Instance instance) {
        this.settings = requireNonNull(settings, "settings");
        this.client = requireNonNull(client, "client");
        this.kv = client.getKVClient();
        this.leases = client.getLeaseClient();
        this.config = requireNonNull(config, "config");
        this.loop = requireNonNull(loop, "loop");
        this.onLoop = loop::execute;
        this.listeners = requireNonNull(listeners, "listeners");
        this.startupRetries = requireNonNull(startupRetries, "startupRetries");
        this.onRemoved = requireNonNull(onRemoved, "onRemoved");
        this.key = key;
        this.instance = instance;
        this.keyBytes = ByteSequence.from(key, StandardCharsets.UTF_8);
        this.valueBytes = ByteSequence.from(InstanceCodec.encodeUtf8(instance));
    }

    /** Starts the loop; the returned future is {@link Registry#register}'s. */
    CompletableFuture<Registration> start() {
        if (!loop.execute(this::step)) {
            // close() shut the scheduler down between our insertion and now.
            state = RegistrationState.DEREGISTERED;
            onRemoved.accept(this);
            registered.completeExceptionally(new IllegalStateException("the registry is closed"));
            return registered.copy();
        }
        startupDeadlineNanos = System.nanoTime() + settings.startupTimeout().toNanos();
        // jetcd's calls wait for a connection, so a TLS handshake or a port that can never work shows only
        // as silence: if etcd has not answered soon, find out why, and fail at once if it never will.
        loop.schedule(() -> diagnoseFirst(null), probeDelay(settings.dialTimeout()));
        // Attempts are retried until the start-up deadline; then the caller gets its answer, whatever
        // an attempt in flight is doing.
        loop.schedule(() -> {
            if (!registered.isDone()) {
                startupTimedOut = true;
                if (diagnosing) {
                    // Its answer names the cause; it is bounded by the dial timeout from its start.
                    return;
                }
                failFirstAtStartupDeadline(diagnosis);
            }
        }, settings.startupTimeout());
        // A copy: a caller cancelling or completing its future must not touch the registration's own.
        return registered.copy();
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public Instance instance() {
        return instance;
    }

    @Override
    public RegistrationState state() {
        return state;
    }

    @Override
    public Throwable lastError() {
        return lastError;
    }

    /**
     * When etcd last answered about this registration: a keep-alive acknowledgement of its lease,
     * an answered check of its key, or a put. Empty until the first.
     */
    @Override
    public Optional<Instant> lastContact() {
        return Optional.ofNullable(lastContact);
    }

    /**
     * How many times the key was put again under a new lease after it was first registered: after
     * the key or the lease was found lost (etcd restarted without its data, the lease expired during
     * an outage, someone deleted the key). An outage that etcd's lease outlives (the keepalive
     * resumes and the key is still in place) does not count. Only grows.
     */
    public long reRegistrations() {
        return reRegistrations;
    }

    /** The ID of the etcd lease the key is currently put under, or 0 if there is none yet. */
    public long leaseId() {
        return leaseId;
    }

    @Override
    public CompletableFuture<Void> deregister() {
        final CompletableFuture<Void> f = new CompletableFuture<>();
        if (!deregistration.compareAndSet(null, f)) {
            return deregistration.get();
        }
        if (!loop.execute(this::doDeregister)) {
            state = RegistrationState.DEREGISTERED;
            onRemoved.accept(this);
            f.completeExceptionally(new IllegalStateException("the registry is closed"));
        }
        return f;
    }

    @Override
    public String toString() {
        return "Registration{key=" + key + ", state=" + state + ", lease=" + hex(leaseId) + '}';
    }

    // ---- the loop (scheduler thread) ----

    private void step() {
        next = null;
        if (state.isFinal() || busy) {
            return;
        }
        if (etcdUnreachable) {
            // Otherwise gRPC may wait up to two minutes before it even tries to reconnect.
            EtcdChannels.resetConnectBackoff(client);
            etcdUnreachable = false;
        }
        if (leaseId == 0 || leaseLost) {
            putUnderNewLease();
        } else {
            check();
        }
    }

    private void check() {
        busy = true;
        inFlight = timed(kv.get(keyBytes), "get " + key)
                .handleAsync((resp, err) -> {
                    onChecked(resp, err);
                    return null;
                }, onLoop);
    }

    private void onChecked(GetResponse resp, Throwable err) {
        busy = false;
        if (state.isFinal()) {
            return;
        }
        if (err != null) {
            failed(err, "checking");
            return;
        }
        if (leaseLost) {
            putUnderNewLease();
            return;
        }
        final String problem = problemWith(resp.getKvs().isEmpty() ? null : resp.getKvs().get(0));
        if (problem == null) {
            lastContact = Instant.now();
            logger.debug("{} is in place under lease {}", key, hex(leaseId));
            succeeded();
            scheduleStep(settings.observeDelay());
            return;
        }
        lost(new IllegalStateException(problem));
        putUnderNewLease();
    }

    private String problemWith(KeyValue kv) {
        if (kv == null) {
            return "key " + key + " is missing";
        }
        if (kv.getLease() != leaseId) {
            // E.g. etcd restarted with its data: the key survived under an old lease nobody keeps alive any more.
            return "key " + key + " is under lease " + hex(kv.getLease()) + ", not under ours, " + hex(leaseId);
        }
        if (!kv.getValue().equals(valueBytes)) {
            // Someone else's value: escaped, as it is logged.
            return "key " + key + " holds " + LogValues.escape(kv.getValue().toString(StandardCharsets.UTF_8))
                   + ", not our value";
        }
        final long silentNanos = System.nanoTime() - lastKeepAliveNanos;
        if (grantedTtlSeconds > 0 && silentNanos > TimeUnit.SECONDS.toNanos(grantedTtlSeconds)) {
            return "the keepalive of lease " + hex(leaseId) + " got no answer for "
                   + TimeUnit.NANOSECONDS.toMillis(silentNanos) + " ms, longer than its TTL";
        }
        return null;
    }

    private void putUnderNewLease() {
        busy = true;
        final AtomicLong granted = new AtomicLong();
        final Duration timeout = attemptTimeout();
        inFlight = EtcdCalls.timed(leases.grant(settings.leaseTtlSeconds(),
                                                         timeout.toMillis(), TimeUnit.MILLISECONDS),
                                  "grant a lease", timeout)
                .thenCompose(grant -> {
                    granted.set(grant.getID());
                    final PutOption withLease = PutOption.builder().withLeaseId(grant.getID()).build();
                    return EtcdCalls.timed(kv.put(keyBytes, valueBytes, withLease), "put " + key, timeout)
                            .thenApply(put -> grant);
                })
                .handleAsync((grant, err) -> {
                    onPut(grant, err, granted.get());
                    return null;
                }, onLoop);
    }

    private void onPut(LeaseGrantResponse grant, Throwable err, long grantedLease) {
        busy = false;
        if (state.isFinal()) {
            // Deregistered (or failed) meanwhile: the new lease must not keep a key alive that nobody owns.
            revokeQuietly(grantedLease);
            return;
        }
        if (err != null) {
            // Go leaks the lease here; it would only expire after its TTL.
            revokeQuietly(grantedLease);
            failed(err, everRegistered ? "re-registering" : "registering");
            return;
        }
        lastContact = Instant.now();
        final long previous = leaseId;
        closeKeepAlive();
        leaseId = grant.getID();
        grantedTtlSeconds = grant.getTTL();
        leaseLost = false;
        startKeepAlive(leaseId);
        if (previous != 0 && previous != leaseId) {
            // The key is under the new lease now; the old one would only linger until its TTL.
            revokeQuietly(previous);
        }
        if (everRegistered) {
            reRegistrations++;
            logger.info("re-registered {} under lease {} (TTL {} s)", key, hex(leaseId), grantedTtlSeconds);
        } else {
            logger.info("registered {} under lease {} (TTL {} s)", key, hex(leaseId), grantedTtlSeconds);
        }
        everRegistered = true;
        succeeded();
        registered.complete(this);
        scheduleStep(settings.observeDelay());
    }

    private void succeeded() {
        consecutiveFailures = 0;
        transition(RegistrationState.REGISTERED, null);
    }

    /** The key or lease was found gone: not an etcd error, so not counted against maxAttempts. */
    private void lost(Throwable cause) {
        lastError = cause;
        logger.warn("{}: {}; registering it again", key, cause.getMessage());
        transition(RegistrationState.RETRYING, cause);
    }

    /** How long the first attempt may stay unanswered before the connection is diagnosed. */
    static Duration probeDelay(Duration dialTimeout) {
        final Duration quarter = dialTimeout.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? quarter : Duration.ofSeconds(1);
    }

    /**
     * Finds why the first attempt fails ({@code failure}) or is silent ({@code null}). A permanent
     * cause fails the register() future at once; so does any cause of a failure. The cause of
     * silence is kept for the dial timeout's message.
     */
    private void diagnoseFirst(Throwable failure) {
        if (registered.isDone() || state.isFinal()) {
            return;
        }
        final EtcdAccessException known = failure == null ? null
                : EtcdAccessException.find(failure, endpointsText()).orElse(null);
        if (known != null) {
            diagnosis = known;
            failFirst(known);
            return;
        }
        if (diagnosing) {
            return; // its answer comes soon, and the dial timeout bounds it
        }
        final EtcdAccessException earlier = diagnosis;
        if (failure != null && earlier != null) {
            failFirst(earlier.isPermanent() ? earlier : noAnswer(failure, earlier));
            return;
        }
        diagnosing = true;
        config.diagnose(failure).whenComplete((found, e) -> loop.execute(() -> {
            diagnosing = false;
            if (registered.isDone() || state.isFinal()) {
                return; // registered meanwhile, or already reported
            }
            if (found != null) {
                diagnosis = found;
                lastError = found;
            }
            if (found != null && found.isPermanent()) {
                failFirst(found);
            } else if (found != null && failure != null) {
                failFirst(noAnswer(failure, found));
            } else if (startupTimedOut) {
                failFirstAtStartupDeadline(found);
            }
        }));
    }

    private void failFirstAtStartupDeadline(EtcdAccessException found) {
        final Throwable last = lastError;
        if (last instanceof EtcdAccessException) {
            failFirst(last);
            return;
        }
        final Throwable failure = last != null ? last : new TimeoutException("no answer from etcd");
        failFirst(found == null ? failure : found.isPermanent() ? found : noAnswer(failure, found));
    }

    /** A transient diagnosis together with the failure it explains. */
    private static EtcdAccessException noAnswer(Throwable failure, EtcdAccessException found) {
        if (found.getCause() == failure) {
            return found;
        }
        return new EtcdAccessException(found.kind(), found.endpoint(),
                describe(Throwables.unwrap(failure)) + " (" + found.reason() + ")", failure);
    }

    private String endpointsText() {
        return EtcdHandshakeProbe.endpointsText(config.endpoints());
    }

    private void failed(Throwable err, String what) {
        final Throwable cause = Throwables.unwrap(err);
        lastError = cause;
        consecutiveFailures++;
        etcdUnreachable = isUnreachable(cause);
        final boolean firstReport = !registered.isDone();
        if (settings.maxAttempts() > 0 && consecutiveFailures >= settings.maxAttempts()) {
            logger.error("{} {} failed {} times in a row, giving up (maxAttempts={}): {}",
                         what, key, consecutiveFailures, settings.maxAttempts(), describe(cause));
            closeKeepAlive();
            transition(RegistrationState.FAILED, cause);
            failFirst(cause);
            return;
        }
        final long leftNanos = startupDeadlineNanos - System.nanoTime();
        if (!registered.isDone() && !isPermanent(cause) && leftNanos > 0) {
            // Start-up: a busy machine or an etcd still electing a leader; try again soon, until the deadline.
            if (etcdUnreachable && diagnosis == null) {
                // Unless the connection can never work (TLS, a wrong port): then the diagnosis fails it at once.
                diagnoseFirst(null);
            }
            final Duration delay = Duration.ofNanos(Math.min(startupBackoff(consecutiveFailures).toNanos(), leftNanos));
            startupRetries.log("{} not registered yet, waiting for etcd at {} (attempt {} failed: {}); "
                            + "retrying in {}, giving up in {} (start-up timeout {})",
                    key, settings.etcdDescription(), consecutiveFailures, describe(cause),
                    EtcdCalls.format(delay), formatSeconds(leftNanos), EtcdCalls.format(settings.startupTimeout()));
            transition(RegistrationState.RETRYING, cause);
            schedule(delay);
            return;
        }
        final Duration delay = settings.jittered(settings.retryDelay());
        final EtcdAccessException access = diagnosis;
        final String why = access != null && etcdUnreachable ? access.getMessage() : describe(cause);
        if (firstReport) {
            // The caller hears of it through the register() future; a WARN would say it twice.
            logger.debug("{} {} failed (attempt {}), retrying in {}: {}",
                         what, key, consecutiveFailures, EtcdCalls.format(delay), why);
        } else {
            logger.warn("{} {} failed (attempt {}), retrying in {}: {}",
                        what, key, consecutiveFailures, EtcdCalls.format(delay), LogValues.escape(why, 300));
        }
        transition(RegistrationState.RETRYING, cause);
        if (firstReport) {
            if (etcdUnreachable) {
                // "No answer" says nothing of why: diagnose, and fail the future with what is found.
                diagnoseFirst(cause);
            } else {
                failFirst(EtcdAccessException.find(cause, endpointsText()).<Throwable>map(x -> x).orElse(cause));
            }
        }
        schedule(delay);
    }

    /**
     * The time each call of an attempt may take: the call timeout, except during start-up, where
     * it doubles with each failed attempt, up to 8 times the call timeout, within the time left to
     * the deadline. On a machine so busy that etcd (or this JVM) answers in 4 s, attempts cut off
     * after 3 s and sent again would never succeed.
     */
    private Duration attemptTimeout() {
        final Duration base = settings.callTimeout();
        if (registered.isDone() || consecutiveFailures == 0) {
            return base;
        }
        final long grown = base.toNanos() << Math.min(consecutiveFailures, 3);
        final long left = startupDeadlineNanos - System.nanoTime();
        return Duration.ofNanos(Math.max(base.toNanos(), Math.min(grown, left)));
    }

    /** 200 ms, doubling, at most 2 s or {@code retryDelay} if that is shorter; with the registry's jitter. */
    private Duration startupBackoff(int failures) {
        final long base = TimeUnit.MILLISECONDS.toNanos(200) << Math.min(Math.max(failures - 1, 0), 4);
        final long cap = Math.min(TimeUnit.SECONDS.toNanos(2), settings.retryDelay().toNanos());
        return settings.jittered(Duration.ofNanos(Math.min(base, cap)));
    }

    private static String formatSeconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    private void scheduleStep(Duration delay) {
        // A loss reported while a call was in flight is acted on now, not after observeDelay.
        schedule(leaseLost ? Duration.ZERO : delay);
    }

    private void schedule(Duration delay) {
        if (next != null) {
            next.cancel(false);
        }
        next = loop.schedule(this::step, delay);
    }

    /** Called by the keepalive when the lease is gone or can no longer be kept alive. */
    private void onLeaseLost(long lease, Throwable cause) {
        if (state.isFinal() || lease != leaseId || leaseLost) {
            return;
        }
        leaseLost = true;
        lost(cause);
        if (!busy) {
            if (next != null) {
                next.cancel(false);
                next = null;
            }
            step();
        }
    }

    private void startKeepAlive(long lease) {
        lastKeepAliveNanos = System.nanoTime();
        final StreamObserver<LeaseKeepAliveResponse> observer = new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse value) {
                lastKeepAliveNanos = System.nanoTime();
                if (value.getTTL() > 0) {
                    lastContact = Instant.now();
                }
            }

            @Override
            public void onError(Throwable t) {
                if (t instanceof EtcdException e && e.getErrorCode() == ErrorCode.NOT_FOUND) {
                    loop.execute(() -> onLeaseLost(lease, new IllegalStateException(
                            "lease " + hex(lease) + " of " + key + " is gone (expired or revoked in etcd)", t)));
                } else {
                    // jetcd reports every broken keepalive stream to every lease and reopens the stream
                    // itself; the lease is only lost if no answer comes within its TTL (onCompleted).
                    logger.debug("keepalive stream for lease {} broke, jetcd reopens it: {}", hex(lease), describe(t));
                }
            }

            @Override
            public void onCompleted() {
                loop.execute(() -> onLeaseLost(lease, new IllegalStateException(
                        "the keepalive of lease " + hex(lease) + " of " + key
                        + " got no answer within the lease's TTL; the lease has probably expired")));
            }
        };
        try {
            keepAlive = leases.keepAlive(lease, observer);
        } catch (RuntimeException e) {
            keepAlive = null;
            loop.execute(() -> onLeaseLost(lease, e));
        }
    }

    private void closeKeepAlive() {
        if (keepAlive != null) {
            try {
                keepAlive.close();
            } catch (RuntimeException e) {
                logger.debug("closing the keepalive of lease {} failed", hex(leaseId), e);
            }
            keepAlive = null;
        }
    }

    private void revokeQuietly(long lease) {
        if (lease == 0) {
            return;
        }
        timed(leases.revoke(lease), "revoke lease " + hex(lease)).whenComplete((r, e) -> {
            if (e != null && !isLeaseNotFound(e)) {
                logger.debug("revoking lease {} failed; it expires after its TTL: {}", hex(lease), describe(Throwables.unwrap(e)));
            }
        });
    }

    private void doDeregister() {
        final CompletableFuture<Void> done = deregistration.get();
        if (next != null) {
            next.cancel(false);
            next = null;
        }
        closeKeepAlive();
        transition(RegistrationState.DEREGISTERED, null);
        if (!registered.isDone()) {
            registered.completeExceptionally(new RegistrationException(
                    "deregistered before " + key + " reached etcd", this, new IllegalStateException("deregistered")));
        }
        final long lease = leaseId;
        final boolean wasRegistered = everRegistered;
        // Wait for a grant/put in flight: its completion sees DEREGISTERED and revokes what it granted,
        // so once the delete below is done nothing of ours can come back.
        final CompletableFuture<Void> settled = inFlight.handle((r, e) -> null);
        final EtcdAccessException found = diagnosis;
        if (!wasRegistered && found != null && found.isPermanent()) {
            // Never connected (TLS), or refused every write (auth, permission): nothing of ours is in etcd,
            // and a delete would only wait for its timeout.
            settled.whenComplete((r, e) -> {
                onRemoved.accept(this);
                logger.debug("deregistered {}, which never reached etcd: {}", key, found.getMessage());
                done.complete(null);
            });
            return;
        }
        final CompletableFuture<Void> delete = settled
                .thenCompose(x -> timed(kv.delete(keyBytes), "delete " + key))
                .thenApply(r -> null);
        final CompletableFuture<Void> revoke = settled
                .thenCompose(x -> lease == 0 ? CompletableFuture.completedFuture(null)
                        : timed(leases.revoke(lease), "revoke lease " + hex(lease)))
                .handle((r, e) -> {
                    if (e != null && !isLeaseNotFound(e)) {
                        logger.debug("revoking lease {} failed; it expires after its TTL: {}",
                                     hex(lease), describe(Throwables.unwrap(e)));
                    }
                    return null;
                });
        delete.thenCombine(revoke, (a, b) -> null).whenComplete((r, e) -> {
            onRemoved.accept(this);
            if (e != null) {
                final Throwable cause = Throwables.unwrap(e);
                if (!wasRegistered) {
                    // Nothing was confirmed written; the delete only guarded against a put whose answer was lost.
                    logger.debug("deregistering {}, never registered: etcd did not confirm the delete: {}",
                                 key, describe(cause));
                } else {
                    logger.warn("deregistering {} failed; it disappears when lease {} expires: {}",
                                key, hex(lease), LogValues.escape(describe(cause), 300));
                }
                done.completeExceptionally(cause);
            } else {
                logger.info("deregistered {} (lease {} revoked)", key, hex(lease));
                done.complete(null);
            }
        });
    }

    private void failFirst(Throwable cause) {
        if (registered.isDone()) {
            return;
        }
        final String where = "etcd at " + settings.etcdDescription();
        final String what = cause instanceof EtcdAccessException access
                ? "cannot register " + key + ": " + access.getMessage()
                : isUnreachable(cause) ? where + " unreachable: " + describe(cause)
                : where + " refused to register " + key + ": " + describe(cause);
        final String within = System.nanoTime() - startupDeadlineNanos >= 0
                ? "; not registered within the start-up timeout of " + EtcdCalls.format(settings.startupTimeout())
                : "";
        final String then = state == RegistrationState.FAILED ? "; gave up (maxAttempts reached)"
                : "; still trying in the background (see RegistrationException.registration())";
        registered.completeExceptionally(new RegistrationException(what + within + then, this, cause));
    }

    private void transition(RegistrationState to, Throwable cause) {
        final RegistrationState from = state;
        if (from == to) {
            return;
        }
        state = to;
        notifyListeners(from, to, cause);
    }

    // ---- helpers ----

    static String hex(long lease) {
        return lease == 0 ? "none" : Long.toHexString(lease);
    }

    /** {@code f} bounded by the call timeout, failing with a TimeoutException that names {@code what}. */
    private <T> CompletableFuture<T> timed(CompletableFuture<T> f, String what) {
        return EtcdCalls.timed(f, what, settings.callTimeout());
    }

    private void notifyListeners(RegistrationState from, RegistrationState to, Throwable cause) {
        for (RegistrationListener l : listeners) {
            try {
                l.onStateChanged(this, from, to, cause);
            } catch (Throwable t) {
                logger.warn("registration listener {} threw", l, t);
            }
        }
    }

    /**
     * The messages along the cause chain: gRPC wraps the useful part, e.g. {@code UNAUTHENTICATED}
     * caused by {@code INVALID_ARGUMENT: etcdserver: authentication failed, ...}.
     */
    static String describe(Throwable t) {
        final StringBuilder sb = new StringBuilder();
        String previous = null;
        for (int depth = 0; t != null && depth < 5; t = t.getCause(), depth++) {
            final String m = t.getMessage();
            if (m == null || m.isBlank()) {
                if (depth == 0) {
                    sb.append(t.getClass().getSimpleName());
                }
                continue;
            }
            if (previous != null && previous.contains(m)) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(m);
            previous = m;
        }
        return sb.toString();
    }

    static boolean isLeaseNotFound(Throwable t) {
        final Throwable c = Throwables.unwrap(t);
        return c instanceof EtcdException e && e.getErrorCode() == ErrorCode.NOT_FOUND;
    }

    /**
     * An error that retrying within the start-up timeout cannot fix, so the register() future fails
     * at once: permission denied, authentication failed, a request etcd calls invalid, or a TLS
     * handshake failure (an untrusted certificate stays untrusted).
     */
    static boolean isPermanent(Throwable t) {
        if (EtcdAccessException.isPermanent(t)) {
            return true;
        }
        for (Throwable c = Throwables.unwrap(requireNonNull(t, "t")); c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException) {
                return true;
            }
            if (c instanceof EtcdException e && (e.getErrorCode() == ErrorCode.PERMISSION_DENIED
                    || e.getErrorCode() == ErrorCode.UNAUTHENTICATED || e.getErrorCode() == ErrorCode.INVALID_ARGUMENT)) {
                return true;
            }
            final Status.Code code = Status.fromThrowable(c).getCode();
            if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.UNAUTHENTICATED
                    || code == Status.Code.INVALID_ARGUMENT) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    static boolean isUnreachable(Throwable t) {
        final Throwable c = Throwables.unwrap(requireNonNull(t, "t"));
        if (c instanceof TimeoutException) {
            return true;
        }
        if (c instanceof EtcdException e) {
            return e.getErrorCode() == ErrorCode.UNAVAILABLE || e.getErrorCode() == ErrorCode.DEADLINE_EXCEEDED;
        }
        final Status.Code code = Status.fromThrowable(c).getCode();
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
    }
}
