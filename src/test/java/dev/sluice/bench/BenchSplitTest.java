package dev.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The parts of a run split over processes that need no gateway: the options' checks and error
 * messages, the share of each worker, the measured-window arithmetic every process computes alike,
 * and the worker results as the coordinator reads and adds them up.
 */
class BenchSplitTest {

    private static BenchOptions parse(String... args) {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs(args);
        return command.options();
    }

    private static void refused(String message, String... args) {
        assertThatThrownBy(() -> parse(args).validate(20_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void targetsAreParsedAndTheFirstIsTheUrl() {
        BenchOptions o = parse("--targets", "http://127.0.0.1:8081,http://127.0.0.1:8082", "--publisher-token", "t");
        o.validate(20_000);
        assertThat(o.targets()).hasSize(2);
        assertThat(o.url()).hasToString("http://127.0.0.1:8081");
        assertThat(o.gatewayPid(0)).isZero();
        assertThat(o.gatewayPid(1)).isZero();
    }

    @Test
    void badTargetsWorkersAndPidsAreRefusedWithAMessage() {
        refused("--targets must point at this machine's loopback", "--targets",
                "http://127.0.0.1:8081,http://192.0.2.7:8082", "--publisher-token", "t");
        refused("--targets must be http://127.0.0.1:PORT", "--targets", "https://127.0.0.1:8081,http://127.0.0.1:8082",
                "--publisher-token", "t");
        refused("names a gateway twice", "--targets", "http://127.0.0.1:8081,http://127.0.0.1:8081",
                "--publisher-token", "t");
        refused("--targets: not a URL", "--targets", "http://127.0.0.1:8081,http://[bad", "--publisher-token", "t");
        refused("--targets replaces --url", "--url", "http://127.0.0.1:8080", "--targets", "http://127.0.0.1:8081",
                "--publisher-token", "t");
        refused("--gateway-pid needs one process id per target (2), got 3", "--targets",
                "http://127.0.0.1:8081,http://127.0.0.1:8082", "--gateway-pid", "1,2,3", "--publisher-token", "t");
        refused("--gateway-pid: not a process id: 'x'", "--gateway-pid", "x", "--publisher-token", "t");
        refused("--workers must be between 0", "--workers", "-1", "--publisher-token", "t");
        refused("--workers must be between 0", "--workers", "65", "--publisher-token", "t",
                "--source-addresses", "100");
        refused("each of the 4 workers needs an address of its own, but only 2 were given", "--workers", "4",
                "--source-addresses", "2", "--publisher-token", "t");
        refused("churn scenario runs in one process", "--workers", "2", "--scenario", "churn",
                "--source-addresses", "2");
        refused("--subscribers (1) must be at least --workers (2)", "--workers", "2", "--subscribers", "1",
                "--source-addresses", "2", "--publisher-token", "t");
        // 100,000 over 4 workers is 25,000 each, more than one process may open under 20,000 files.
        refused("Give --workers 6 or more", "--workers", "4", "--subscribers", "100000", "--source-addresses", "8",
                "--publisher-token", "t");
    }

    @Test
    void aRunWithinTheLimitsIsAccepted() {
        BenchOptions o = parse("--workers", "6", "--subscribers", "100000", "--source-addresses",
                "127.0.0.11-127.0.0.34", "--targets", "http://127.0.0.1:8081,http://127.0.0.1:8082",
                "--publisher-token", "t");
        o.validate(20_000);
        assertThat(o.workers()).isEqualTo(6);
    }

    @Test
    void workersShareSubscribersAndAddressesWithoutOverlap() throws Exception {
        BenchOptions o = parse("--workers", "3", "--subscribers", "100", "--source-addresses", "127.0.0.11-127.0.0.17",
                "--publisher-token", "t");
        int total = 0;
        int next = 0;
        java.util.Set<InetAddress> used = new java.util.HashSet<>();
        for (int w = 0; w < 3; w++) {
            assertThat(o.workerOffset(w)).isEqualTo(next);
            next += o.workerCount(w);
            total += o.workerCount(w);
            List<InetAddress> mine = o.workerSources(w);
            assertThat(mine).isNotEmpty();
            for (InetAddress a : mine) {
                assertThat(used.add(a)).as("address %s given to two workers", a).isTrue();
            }
        }
        assertThat(total).isEqualTo(100);
        assertThat(used).hasSize(7);
        // A worker's options, as it reads them, keep its share and the run-wide index of its first subscriber.
        BenchOptions w1 = WorkerProcess.parseSpec(WorkerProcess.spec(o, 1));
        assertThat(w1.subscribers()).isEqualTo(o.workerCount(1));
        assertThat(w1.subscriberOffset()).isEqualTo(o.workerOffset(1));
        assertThat(w1.sourceAddresses()).isEqualTo(o.workerSources(1));
        assertThat(w1.publisherToken()).isEqualTo("t");
        assertThat(w1.workers()).isZero();
        assertThat(w1.connectRate()).isEqualTo(667);
    }

    @Test
    void theFirstMeasuredPublishIsTheFirstDueAfterTheWarmUp() {
        for (double rate : new double[] {1, 3, 7, 10, 333, 1000, 12_345}) {
            for (long warmup : new long[] {0, 1, 999_999_999L, 1_000_000_000L, 5_000_000_000L, 1_234_567_891L}) {
                double interval = 1e9 / rate;
                long i = 0;
                while ((long) (i * interval) < warmup) {
                    i++;
                }
                assertThat(Bench.firstMeasured(rate, warmup)).as("rate %s warm-up %s", rate, warmup).isEqualTo(i);
            }
        }
    }

    @Test
    void theAcknowledgedSetsReachTheWorkersIntact() {
        BitSet none = new BitSet();
        BitSet some = new BitSet();
        some.set(0, 7);
        some.set(1000);
        var d = WorkerChannel.parseDrain(WorkerChannel.drainMessage(123_456_789L, new BitSet[] {some, none, some})
                .substring(WorkerChannel.DRAIN.length() + 1));
        assertThat(d.deadlineNanos()).isEqualTo(123_456_789L);
        assertThat(d.acked()).containsExactly(some, none, some);
    }

    private static SubscriberTally worker(int subscribers, long expected, long received, long missed, long dup,
                                          long latencyMicros) {
        Histogram h = LoopStats.histogram();
        for (long i = 0; i < received; i++) {
            h.recordValue(latencyMicros);
        }
        return new SubscriberTally(subscribers, subscribers, subscribers, subscribers, Map.of("refused", 1L), 0, 0, 0,
                LoopStats.histogram(), h, LoopStats.histogram(), expected, received, missed, dup, 0, 0, 0, 0, 0, 0,
                missed, 1.5, List.of());
    }

    @Test
    void workerResultsAddUpAndAWorkerThatMissedShowsInTheTotal() {
        SubscriberTally clean = worker(10, 100, 100, 0, 0, 1_000);
        SubscriberTally lossy = worker(10, 100, 97, 3, 2, 9_000);
        // As sent over the pipe and read back by the coordinator.
        SubscriberTally sum = SubscriberTally.empty().plus(SubscriberTally.fromJson(clean.toJson()))
                .plus(SubscriberTally.fromJson(lossy.toJson()));
        assertThat(sum.subscribers()).isEqualTo(20);
        assertThat(sum.expected()).isEqualTo(200);
        assertThat(sum.received()).isEqualTo(197);
        assertThat(sum.missed()).isEqualTo(3);
        assertThat(sum.duplicated()).isEqualTo(2);
        assertThat(sum.failures()).containsEntry("refused", 2L);
        // Percentiles are of all events of all workers: 100 at 1 ms, 97 at 9 ms.
        assertThat(sum.latencyFast().getTotalCount()).isEqualTo(197);
        assertThat(sum.latencyFast().getValueAtPercentile(25)).isBetween(990L, 1_010L);
        assertThat(sum.latencyFast().getValueAtPercentile(75)).isBetween(8_990L, 9_010L);

        SubscriberTally lost = SubscriberTally.lost(10, 100, "worker 2 gave no result");
        SubscriberTally withLost = sum.plus(lost);
        assertThat(withLost.subscribers()).isEqualTo(30);
        assertThat(withLost.expected()).isEqualTo(300);
        assertThat(withLost.missed()).isEqualTo(103);
        assertThat(withLost.notes()).containsExactly("worker 2 gave no result");
    }

    @Test
    void anUnreadableWorkerResultIsRefusedWithAMessage() {
        assertThatThrownBy(() -> SubscriberTally.fromJson("{\"subscribers\": 3}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unreadable worker result");
        assertThatThrownBy(() -> SubscriberTally.fromJson("not json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unreadable worker result");
    }
}
