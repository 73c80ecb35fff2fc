package io.kitex4j.etcdlauncher;

/**
 * Run in a child JVM by {@link ShutdownHookTest}: starts a cluster, reports it, and never closes it.
 */
public final class AbandonedClusterMain {

    /**
     * Starts a single-member cluster, prints {@code READY <pid> <baseDir>} and waits to be killed.
     */
    public static void main(String[] args) throws Exception {
        final EtcdCluster cluster = EtcdCluster.builder().start();
        final long etcdPid = cluster.member(0).pid();
        System.out.println("READY " + etcdPid + ' ' + cluster.baseDir());
        System.out.flush();
        Thread.sleep(120_000);
    }

    private AbandonedClusterMain() {}
}
