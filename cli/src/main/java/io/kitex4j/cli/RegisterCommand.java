package io.kitex4j.cli;

import io.kitex4j.registry.EtcdRegistration;
import io.kitex4j.registry.EtcdAccessException;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kitex4j register}: puts an endpoint into the mesh and keeps it there until SIGINT or
 * SIGTERM, then deregisters it. Useful for a sidecar or a legacy endpoint that cannot register
 * itself.
 */
@Command(name = "register", description = "Register an instance and keep it registered until SIGINT/SIGTERM, then deregister.")
final class RegisterCommand implements Callable<Integer> {

    @Mixin
    EtcdOptions etcd;

    @Option(names = "--service", required = true, paramLabel = "S", description = "Service name.")
    String service;

    @Option(names = "--addr", required = true, paramLabel = "HOST:PORT", description = "Address to register.")
    String address;

    @Option(names = "--weight", paramLabel = "N", defaultValue = "10", description = "Weight (default: ${DEFAULT-VALUE}; 0 is written as 10, as Kitex does).")
    int weight;

    @Option(names = "--tag", paramLabel = "k=v", description = "A tag; repeat for more.")
    Map<String, String> tags = new LinkedHashMap<>();

    @Option(names = "--ttl", paramLabel = "SECONDS", description = "Lease TTL (default: 60, or KITEX_ETCD_REGISTRY_LEASE_TTL).")
    Integer ttlSeconds;

    @Option(names = "--startup-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to keep retrying the first registration before giving up (default: ${DEFAULT-VALUE}).")
    int startupTimeoutSeconds;

    @Override
    public Integer call() throws Exception {
        final EtcdClientConfig config = etcd.toConfig();
        final RegistrationInfo info;
        final EtcdRegistry registry;
        try {
            info = RegistrationInfo.builder().service(service).address(address).weight(weight).tags(tags).build();
            final EtcdRegistry.Builder b = EtcdRegistry.builder().etcd(config).keyLayout(etcd.layout())
                    .listener((r, from, to, cause) -> {
                        // Only a registration that was in etcd can be lost: RETRYING from REGISTERING is a
                        // start-up retry, which the registry's log reports, and a first failure is reported
                        // once, by the register() future below.
                        if (to == RegistrationState.RETRYING && from == RegistrationState.REGISTERED) {
                            System.err.println("kitex4j: lost " + r.key() + ", re-registering: "
                                    + (cause == null ? "" : Etcd.rootMessage(cause)));
                        } else if (to == RegistrationState.REGISTERED && from == RegistrationState.RETRYING) {
                            System.err.println("kitex4j: registered again " + r.key() + " lease " + ((EtcdRegistration) r).leaseId());
                        }
                    });
            if (startupTimeoutSeconds <= 0) {
                throw new UsageException("--startup-timeout: " + startupTimeoutSeconds + " (expected: > 0)");
            }
            b.startupTimeout(Duration.ofSeconds(startupTimeoutSeconds));
            if (ttlSeconds != null) {
                b.leaseTtl(Duration.ofSeconds(ttlSeconds));
            }
            registry = b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }

        final Registration registration;
        final long startNanos = System.nanoTime();
        try {
            // The future fails by itself at the start-up timeout; the margin only guards against a hang.
            registration = registry.register(info)
                    .get(Duration.ofSeconds(startupTimeoutSeconds).plus(config.callTimeout()).toMillis() * 2,
                            TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // Report first; closing waits for etcd to confirm a delete it may never answer.
            final Thread closer = new Thread(registry::close, "kitex4j-registry-close");
            closer.setDaemon(true);
            closer.start();
            final boolean timedOut = System.nanoTime() - startNanos >= TimeUnit.SECONDS.toNanos(startupTimeoutSeconds);
            final Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            final EtcdAccessException access = EtcdAccessException.find(cause).orElse(null);
            throw new UsageException("cannot register " + service + " at " + address + ": "
                    + (access != null ? access.getMessage() : Etcd.rootMessage(cause))
                    + (timedOut ? " (retried for the start-up timeout of " + startupTimeoutSeconds
                            + " s, see --startup-timeout)" : ""));
        }
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                registration.deregister().get(config.callTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
                System.out.println("deregistered " + registration.key());
            } catch (Exception e) {
                System.err.println("kitex4j: deregister failed (the lease expires by itself): " + Etcd.rootMessage(e));
            } finally {
                registry.close();
                done.countDown();
            }
        }, "kitex4j-deregister"));
        // Announce only once the hook is in place, so a signal right after the line still deregisters.
        System.out.println("registered " + registration.key() + " lease " + ((EtcdRegistration) registration).leaseId()
                + " (Ctrl-C to deregister)");
        done.await();
        return 0;
    }
}
