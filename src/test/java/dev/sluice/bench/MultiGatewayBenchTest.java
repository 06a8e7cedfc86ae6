package dev.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.RedisServer;
import dev.sluice.support.TestHub;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The load generator over several gateways ({@code --targets}) and several processes
 * ({@code --workers}): two real gateways sharing updates through a redis-server of the test's own,
 * worker processes started by the run, and the coordinator's totals checked against what the
 * gateways themselves counted, including runs where subscribers really lose updates.
 */
class MultiGatewayBenchTest {

    private static final AtomicInteger STREAMS = new AtomicInteger();
    private static final String WORKER_JAVA_OPTIONS = "-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
    private static RedisServer redis;
    private TestHub a;
    private TestHub b;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start(false);
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void startGateways() throws Exception {
        String stream = "bench:" + STREAMS.incrementAndGet();
        a = TestHub.start(c -> c.anonymous(true).transport(redis.url()).redisStream(stream)
                .redisTimeout(Duration.ofSeconds(5)));
        b = TestHub.start(c -> c.anonymous(true).transport(redis.url()).redisStream(stream)
                .redisTimeout(Duration.ofSeconds(5)));
    }

    @AfterEach
    void stopGateways() {
        for (TestHub h : new TestHub[] {a, b}) {
            if (h != null) {
                h.close();
            }
        }
    }

    private BenchOptions.Builder options(BenchOptions.Scenario scenario) {
        return BenchOptions.builder(URI.create(a.origin))
                .targets(List.of(URI.create(a.origin), URI.create(b.origin)))
                .scenario(scenario)
                .subscribers(40)
                .rate(50)
                .duration(Duration.ofSeconds(1))
                .warmup(Duration.ofMillis(400))
                .drain(Duration.ofSeconds(10))
                .threads(1)
                .publisherToken(TestHub.publisher())
                // Both gateways run in this JVM: one process to observe, counted once.
                .gatewayPids(List.of(ProcessHandle.current().pid(), ProcessHandle.current().pid()))
                .sourceAddresses(List.of(addr(1), addr(2), addr(3), addr(4)))
                .workerJavaOptions(WORKER_JAVA_OPTIONS)
                .timeLimit(Duration.ofSeconds(90));
    }

    private static InetAddress addr(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static double deliveries(TestHub hub) throws Exception {
        HttpResponse<String> res = hub.http.send(HttpRequest.newBuilder(hub.url("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        return GatewayProbe.metric(res.body(), "sluice_deliveries_total", null);
    }

    @Test
    void twoWorkersOverTwoGatewaysReceiveEveryAcknowledgedUpdateOnce() throws Exception {
        BenchReport r = Bench.run(options(BenchOptions.Scenario.BROADCAST).workers(2).build());

        assertThat(r.notes()).noneMatch(n -> n.contains("worker"));
        assertThat(r.aborted()).isFalse();
        assertThat(r.setup().workers()).isEqualTo(2);
        assertThat(r.setup().targets()).isEqualTo(2);
        assertThat(r.setup().subscribers()).isEqualTo(40);
        assertThat(r.connections().established()).isEqualTo(40);
        assertThat(r.connections().failed()).isZero();
        assertThat(r.publishes().attempted()).isEqualTo(50);
        assertThat(r.publishes().acknowledged()).isEqualTo(50);
        // Every subscriber of both workers, on both gateways, is counted against every update.
        assertThat(r.events().expected()).isEqualTo(40 * 50);
        assertThat(r.events().received()).isEqualTo(r.events().expected());
        assertThat(r.events().missed()).isZero();
        assertThat(r.events().duplicated()).isZero();
        assertThat(r.events().outOfOrder()).isZero();
        // Latency was measured by the workers (send time from the coordinator's clock) and merged.
        assertThat(r.latency().count()).isEqualTo(r.events().received());
        assertThat(r.latency().p50()).isPositive().isLessThan(10_000);
        // Both gateways delivered (20 subscribers each, warm-up included), and the report sums them.
        double da = deliveries(a);
        double db = deliveries(b);
        assertThat(da).isGreaterThanOrEqualTo(20 * 50);
        assertThat(db).isGreaterThanOrEqualTo(20 * 50);
        assertThat(r.gateway().deliveries()).isGreaterThan(20 * 50).isLessThanOrEqualTo(da + db);
        assertThat(r.gateway().pids()).containsExactly(ProcessHandle.current().pid());
        assertThat(r.machine().benchProcesses()).isEqualTo(3);
        assertThat(r.machine().benchRssKiB()).isPositive();
    }

    @Test
    void topicsOverWorkersCountEachSubscribersOwnTopic() throws Exception {
        BenchReport r = Bench.run(options(BenchOptions.Scenario.TOPICS).topics(5).subscribers(30).workers(3).build());

        assertThat(r.aborted()).isFalse();
        assertThat(r.connections().established()).isEqualTo(30);
        assertThat(r.publishes().acknowledged()).isEqualTo(50);
        // 30 subscribers over 5 topics (6 each), 50 updates over 5 topics (10 each).
        assertThat(r.events().expected()).isEqualTo(5 * 10 * 6);
        assertThat(r.events().received()).isEqualTo(r.events().expected());
        assertThat(r.events().missed()).isZero();
        assertThat(r.events().duplicated()).isZero();
        assertThat(r.events().unexpected()).isZero();
    }

    @Test
    void targetsInOneProcessSpreadSubscribersOverTheGateways() throws Exception {
        double beforeA = deliveries(a);
        double beforeB = deliveries(b);
        BenchReport r = Bench.run(options(BenchOptions.Scenario.BROADCAST).build());

        assertThat(r.aborted()).isFalse();
        assertThat(r.setup().workers()).isZero();
        assertThat(r.events().expected()).isEqualTo(40 * 50);
        assertThat(r.events().received()).isEqualTo(r.events().expected());
        assertThat(r.events().missed()).isZero();
        assertThat(r.events().duplicated()).isZero();
        assertThat(deliveries(a) - beforeA).isGreaterThanOrEqualTo(20 * 50);
        assertThat(deliveries(b) - beforeB).isGreaterThanOrEqualTo(20 * 50);
    }

    @Test
    void updatesLostByTheSubscribersOfAStoppedGatewayAreCountedMissed() throws Exception {
        // Gateway b stops in the middle of the window: its subscribers (half of each worker's) lose
        // their streams and cannot come back, while gateway a still acknowledges publishes that
        // every subscriber was due. The workers' real losses must add up in the merged count.
        BenchOptions o = options(BenchOptions.Scenario.BROADCAST).workers(2).rate(20)
                .duration(Duration.ofSeconds(3)).drain(Duration.ofSeconds(3)).build();
        CompletableFuture<BenchReport> run = CompletableFuture.supplyAsync(() -> {
            try {
                return Bench.run(o);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // Once both gateways have delivered window updates to their subscribers, stop b.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (deliveries(b) < 20 * 20 && System.nanoTime() < until && !run.isDone()) {
            Thread.sleep(50);
        }
        b.close();
        b = null;
        BenchReport r = run.get(120, TimeUnit.SECONDS);

        assertThat(r.connections().established()).isEqualTo(40);
        assertThat(r.events().missed()).as("updates missed by b's subscribers").isPositive();
        assertThat(r.events().missed()).isEqualTo(r.events().expected() - r.events().received());
        assertThat(r.events().duplicated()).isZero();
        // Gateway a's subscribers got all: at most b's 20 subscribers missed each update.
        assertThat(r.events().missed()).isLessThanOrEqualTo(20L * r.publishes().acknowledged());
    }

    @Test
    void aWorkerThatDiesCountsAllOfItsSubscribersMissed() throws Exception {
        BenchOptions o = options(BenchOptions.Scenario.BROADCAST).workers(2).rate(20)
                .duration(Duration.ofSeconds(3)).drain(Duration.ofSeconds(3)).build();
        CompletableFuture<BenchReport> run = CompletableFuture.supplyAsync(() -> {
            try {
                return Bench.run(o);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // When window updates flow, kill the worker holding subscribers 20-39 (the second one started).
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<ProcessHandle> workers = List.of();
        while (System.nanoTime() < until && !run.isDone()) {
            // Told apart by the JVM options this test gives its workers (the kernel shows only the
            // start of a long command line, which ends with the class path and main class).
            workers = ProcessHandle.current().children()
                    .filter(p -> p.info().commandLine().orElse("").contains(WORKER_JAVA_OPTIONS))
                    .sorted(java.util.Comparator.comparing(p -> p.info().startInstant().orElse(java.time.Instant.MAX)))
                    .toList();
            if (workers.size() == 2 && deliveries(a) + deliveries(b) >= 40 * 20) {
                break;
            }
            Thread.sleep(50);
        }
        if (run.isDone()) {
            throw new AssertionError("the run ended before its workers could be found: " + run.handle((r, e) ->
                    e != null ? e.toString() : r.notes().toString()).join());
        }
        assertThat(workers).as("worker processes of the run: %s", ProcessHandle.current().children()
                .map(p -> p.info().toString()).toList()).hasSize(2);
        workers.get(1).destroyForcibly();
        BenchReport r = run.get(120, TimeUnit.SECONDS);

        assertThat(r.aborted()).as("a run with a lost worker is not a complete run").isTrue();
        assertThat(r.notes()).anyMatch(n -> n.contains("worker 1") && n.contains("missed"));
        long acked = r.publishes().acknowledged();
        assertThat(acked).isPositive();
        // All 40 subscribers are counted: worker 0's 20 got everything, worker 1's 20 count as missing all.
        assertThat(r.events().expected()).isEqualTo(40 * acked);
        assertThat(r.events().missed()).isEqualTo(20 * acked);
        assertThat(r.events().received()).isEqualTo(20 * acked);
        assertThat(r.connections().failedByCause()).containsEntry("worker-lost", 20L);
    }
}
