package io.kitex4j.thriftrpc.client;

/**
 * The counters of the process-wide avoidance of instances that refuse connections (see
 * {@link KitexClientBuilder#avoidRefusedInstances(boolean)}), from {@link KitexClient#refusedInstanceStats()}.
 * Every count is since the JVM started, for all clients together.
 *
 * @param marks how many times an address was taken out of the pickers after a refused connect
 * @param probes how many calls were let through to a marked address to probe it
 * @param recoveries how many times a marked address came back: a connect succeeded, or etcd changed
 *     or re-added its instance
 * @param refusedConnects how many refused (or reset) connects were reported, marking or not
 * @param untracked how many refused addresses were not tracked because the registry was full
 * @param marked how many addresses are marked now
 */
public record RefusedInstanceStats(long marks, long probes, long recoveries, long refusedConnects, long untracked,
                                   int marked) {}
