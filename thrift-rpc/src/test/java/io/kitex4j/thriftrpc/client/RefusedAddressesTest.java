package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.LoadBalancers;
import io.kitex4j.core.loadbalance.Picker;
import io.netty.channel.ConnectTimeoutException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.Test;

/** The backoff and probe state machine of {@link RefusedAddresses} and its picker, on a fake clock. */
class RefusedAddressesTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long INITIAL = 100 * MS;
    private static final long MAX = 10_000 * MS;
    private static final String A = "10.0.0.1:8888";
    private static final String B = "10.0.0.2:8888";
    private static final String C = "10.0.0.3:8888";

    private final AtomicLong now = new AtomicLong(1_000_000 * MS);
    // 0.5 gives a jitter factor of exactly 1.
    private volatile double random = 0.5;
    private final RefusedAddresses refused = new RefusedAddresses(now::get, () -> random, 3);

    private void advance(long nanos) {
        now.addAndGet(nanos);
    }

    private void refuse(String address) {
        refused.onRefused(address, INITIAL, MAX);
    }

    @Test
    void onlyRefusalsAndResetsOnConnectMark() {
        final ConnectException refusedCause = new ConnectException("Connection refused");
        assertThat(RefusedAddresses.isRefusal(refusedCause)).isTrue();
        assertThat(RefusedAddresses.isRefusal(new TTransportException(TTransportException.NOT_OPEN,
                "connect to " + A + " failed", refusedCause))).isTrue();
        assertThat(RefusedAddresses.isRefusal(new TTransportException(TTransportException.NOT_OPEN,
                "connect to " + A + " failed", new ConnectTimeoutException("timed out")))).isFalse();
        assertThat(RefusedAddresses.isRefusal(new IOException("Connection reset by peer"))).isFalse();
        assertThat(RefusedAddresses.isRefusal(new IllegalArgumentException("no port"))).isFalse();
    }

    @Test
    void backoffDoublesWithEachRefusedProbeUpToTheCap() {
        refuse(A);
        assertThat(refused.isMarked(A)).isTrue();
        assertThat(refused.stats().marks()).isEqualTo(1);
        long expected = INITIAL;
        for (int probe = 0; probe < 12; probe++) {
            advance(expected - 1);
            assertThat(refused.tryClaimProbe(A)).as("probe %d before its time", probe).isFalse();
            advance(1);
            assertThat(refused.tryClaimProbe(A)).as("probe %d at its time", probe).isTrue();
            assertThat(refused.tryClaimProbe(A)).as("a second probe %d", probe).isFalse();
            refuse(A);
            expected = Math.min(expected * 2, MAX);
        }
        assertThat(expected).isEqualTo(MAX);
        assertThat(refused.stats().probes()).isEqualTo(12);
        assertThat(refused.stats().marks()).isEqualTo(1);
        assertThat(refused.stats().refusedConnects()).isEqualTo(13);
    }

    @Test
    void refusalsDuringThePeriodDoNotExtendIt() {
        refuse(A);
        // Connects that were under way when it was marked.
        refuse(A);
        refuse(A);
        advance(INITIAL);
        assertThat(refused.tryClaimProbe(A)).isTrue();
    }

    @Test
    void aProbeThatNeverReportsIsFollowedByAnotherOnePeriodLater() {
        refuse(A);
        advance(INITIAL);
        assertThat(refused.tryClaimProbe(A)).isTrue();
        advance(INITIAL - 1);
        assertThat(refused.tryClaimProbe(A)).isFalse();
        advance(1);
        assertThat(refused.tryClaimProbe(A)).isTrue();
    }

    @Test
    void aSuccessfulConnectOrAnEtcdUpdateRecovers() {
        refuse(A);
        refuse(B);
        final long version = refused.version();
        refused.onConnected(A);
        assertThat(refused.isMarked(A)).isFalse();
        assertThat(refused.version()).isNotEqualTo(version);
        refused.forget(B);
        assertThat(refused.isMarked(B)).isFalse();
        assertThat(refused.stats().recoveries()).isEqualTo(2);
        assertThat(refused.stats().marked()).isZero();
        // Back to the initial backoff when it is refused again.
        refuse(A);
        advance(INITIAL);
        assertThat(refused.tryClaimProbe(A)).isTrue();
        refused.onConnected(C);
        assertThat(refused.stats().recoveries()).isEqualTo(2);
    }

    @Test
    void periodsAreJitteredAndNeverAboveTheCap() {
        random = 0.0;
        refuse(A);
        advance(80 * MS - 1);
        assertThat(refused.tryClaimProbe(A)).isFalse();
        advance(1);
        assertThat(refused.tryClaimProbe(A)).as("80% of 100 ms").isTrue();
        random = 0.999_999;
        refuse(B);
        advance(119 * MS);
        assertThat(refused.tryClaimProbe(B)).isFalse();
        advance(MS);
        assertThat(refused.tryClaimProbe(B)).as("120% of 100 ms").isTrue();
        final RefusedAddresses capped = new RefusedAddresses(now::get, () -> 0.999_999, 3);
        capped.onRefused(C, MAX, MAX);
        advance(MAX);
        assertThat(capped.tryClaimProbe(C)).as("never above the cap").isTrue();
    }

    @Test
    void boundedInSize() {
        refuse(A);
        refuse(B);
        refuse(C);
        refuse("10.0.0.4:8888");
        assertThat(refused.isMarked("10.0.0.4:8888")).isFalse();
        assertThat(refused.stats().untracked()).isEqualTo(1);
        assertThat(refused.stats().marked()).isEqualTo(3);
        // Entries nobody probed for a minute make room.
        advance(INITIAL + RefusedAddresses.STALE_NANOS + 1);
        refuse("10.0.0.4:8888");
        assertThat(refused.isMarked("10.0.0.4:8888")).isTrue();
        assertThat(refused.stats().marked()).isEqualTo(1);
    }

    @Test
    void pickerKeepsTheWeightsOfTheHealthyInstances() {
        // A's weight dwarfs the others: skipping its picks would starve them or land on A anyway.
        final Picker picker = new AvoidingPicker(List.of(Instance.of(A, 100), Instance.of(B, 30), Instance.of(C, 10)),
                LoadBalancers.weightedRoundRobin(), refused, null);
        refuse(A);
        final Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            counts.merge(picker.pick().address(), 1, Integer::sum);
        }
        assertThat(counts).containsOnlyKeys(B, C);
        // Smooth weighted round robin over B:30, C:10 is exact per cycle of 4.
        assertThat(counts.get(B)).isEqualTo(3000);
        assertThat(counts.get(C)).isEqualTo(1000);

        // The probe: one pick per period goes to A.
        advance(INITIAL);
        assertThat(picker.pick().address()).isEqualTo(A);
        for (int i = 0; i < 100; i++) {
            assertThat(picker.pick().address()).isNotEqualTo(A);
        }
        refused.onConnected(A);
        counts.clear();
        for (int i = 0; i < 1400; i++) {
            counts.merge(picker.pick().address(), 1, Integer::sum);
        }
        assertThat(counts).containsEntry(A, 1000).containsEntry(B, 300).containsEntry(C, 100);
    }

    @Test
    void pickerFailsOpenWhenEveryInstanceIsMarked() {
        final Picker picker = new AvoidingPicker(List.of(Instance.of(A, 10), Instance.of(B, 10)),
                LoadBalancers.weightedRandom(), refused, null);
        refuse(A);
        refuse(B);
        final Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            counts.merge(picker.pick().address(), 1, Integer::sum);
        }
        assertThat(counts).containsOnlyKeys(A, B);
    }

    @Test
    void pickerFailsOpenWhenTheOthersCannotBePicked() {
        final Picker picker = new AvoidingPicker(List.of(Instance.of(A, 10), Instance.of(B, 0)),
                LoadBalancers.weightedRoundRobin(), refused, null);
        refuse(A);
        assertThat(picker.pick().address()).isEqualTo(A);
    }
}
