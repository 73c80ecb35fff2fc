package io.kitex4j.registry.internal;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around gRPC's reconnect backoff in jetcd clients.
 *
 * <p>When etcd is unreachable, gRPC waits longer and longer between reconnect attempts (1 s growing
 * by 1.6&times; up to 120 s), and jetcd offers no way to bound that. Measured with jetcd 0.8.5: after
 * a 120-second etcd outage, a client took another 60 s to notice etcd was back. For a registration
 * with the default 60-second TTL that is long enough for the instance to vanish from the mesh.
 * {@link #resetConnectBackoff(Client)} makes the channel reconnect at once; callers that retry on
 * their own schedule (the registry every {@code retryDelay}) call it before each retry, so they
 * see etcd again within one retry delay.
 *
 * <p>jetcd does not expose its channel, so this reaches it by reflection (field names as of jetcd
 * 0.8.x). If that fails, for instance after a jetcd upgrade, it logs once at DEBUG and does nothing
 * from then on: behaviour falls back to gRPC's own backoff.
 */
public final class EtcdChannels {

    private static final Logger logger = LoggerFactory.getLogger(EtcdChannels.class);

    private static volatile boolean unsupported;
    private static volatile Field connectionManagerField;
    private static volatile Field channelField;

    private EtcdChannels() {}

    /**
     * Asks the client's gRPC channel to reconnect now rather than when its backoff ends. Cheap, and
     * harmless when the channel is connected.
     *
     * @return whether the reset was applied
     */
    public static boolean resetConnectBackoff(Client client) {
        requireNonNull(client, "client");
        if (unsupported) {
            return false;
        }
        try {
            Field cmField = connectionManagerField;
            if (cmField == null || cmField.getDeclaringClass() != client.getClass()) {
                cmField = client.getClass().getDeclaredField("connectionManager");
                cmField.setAccessible(true);
                connectionManagerField = cmField;
            }
            final Object manager = cmField.get(client);
            Field chField = channelField;
            if (chField == null || chField.getDeclaringClass() != manager.getClass()) {
                chField = manager.getClass().getDeclaredField("managedChannel");
                chField.setAccessible(true);
                channelField = chField;
            }
            final Object channel = chField.get(manager);
            if (channel instanceof ManagedChannel managed) {
                managed.resetConnectBackoff();
                return true;
            }
            return false; // no channel yet: nothing to reset
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsupported = true;
            logger.debug("cannot reach the gRPC channel of {}; reconnects follow gRPC's backoff", client.getClass(), e);
            return false;
        }
    }
}
