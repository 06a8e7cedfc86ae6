package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.support.RedisServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The figures of BENCHMARKS-cluster.md. Not part of the normal build: run with
 * {@code ./mvnw test -Dtest=ClusterBench -Dsluice.bench=true}. Everything (gateways, Redis, the
 * HTTP clients) shares one machine, so the figures compare transports; they are not capacity.
 */
@EnabledIfSystemProperty(named = "sluice.bench", matches = "true")
class ClusterBench {

    static final int RUNS = 3;
    static final int LATENCY_PUBLISHES = 2000;
    static final long THROUGHPUT_MILLIS = 5000;

    record Latency(double ackP50, double ackP99, double deliveryP50, double deliveryP99) {}

    /** Publishes one at a time on {@code pub}; the data is the send time; {@code sub} receives. */
    static Latency latency(TestHub pub, TestHub sub) throws Exception {
        Histogram ack = new Histogram(3);
        Histogram delivery = new Histogram(3);
        String topic = "lat" + System.nanoTime();
        try (SseStream s = sub.subscribe("topic=" + topic)) {
            for (int i = 0; i < 200; i++) { // warm-up
                pub.publishOk("topic", topic, "data", Long.toString(System.nanoTime()));
                s.next();
            }
            for (int i = 0; i < LATENCY_PUBLISHES; i++) {
                long t0 = System.nanoTime();
                pub.publishOk("topic", topic, "data", Long.toString(t0));
                long acked = System.nanoTime();
                SseEvent e = s.next();
                long received = System.nanoTime();
                ack.recordValue((acked - t0) / 1000);
                delivery.recordValue((received - Long.parseLong(e.data())) / 1000);
            }
        }
        return new Latency(ack.getValueAtPercentile(50) / 1000.0, ack.getValueAtPercentile(99) / 1000.0,
                delivery.getValueAtPercentile(50) / 1000.0, delivery.getValueAtPercentile(99) / 1000.0);
    }

    record Throughput(double[] perNode, double total, double ackP50, double ackP99) {}

    /** {@code concurrency} closed-loop publishers per node for a few seconds. */
    static Throughput throughput(List<TestHub> nodes, int concurrency) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean running = new AtomicBoolean(true);
        LongAdder[] counts = new LongAdder[nodes.size()];
        Histogram ack = new Histogram(3);
        LongAdder errors = new LongAdder();
        List<Thread> threads = new ArrayList<>();
        String token = TestHub.publisher();
        for (int n = 0; n < nodes.size(); n++) {
            counts[n] = new LongAdder();
            TestHub node = nodes.get(n);
            LongAdder count = counts[n];
            for (int c = 0; c < concurrency; c++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    Histogram mine = new Histogram(3);
                    String body = TestHub.form("topic", "tp", "data", "x".repeat(100));
                    while (running.get()) {
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<String> r = node.publish(token, body);
                            if (r.statusCode() == 200 && measuring.get()) {
                                count.increment();
                                mine.recordValue((System.nanoTime() - t0) / 1000);
                            }
                        } catch (Exception e) {
                            errors.increment(); // counted and reported; the run goes on
                        }
                    }
                    synchronized (ack) {
                        ack.add(mine);
                    }
                }));
            }
        }
        Thread.sleep(1000); // warm-up
        measuring.set(true);
        long t0 = System.nanoTime();
        Thread.sleep(THROUGHPUT_MILLIS);
        measuring.set(false);
        double seconds = (System.nanoTime() - t0) / 1e9;
        running.set(false);
        for (Thread t : threads) {
            t.join();
        }
        if (errors.sum() > 0) {
            System.out.println("client errors during the run: " + errors.sum());
        }
        double[] per = Arrays.stream(counts).mapToDouble(c -> c.sum() / seconds).toArray();
        return new Throughput(per, Arrays.stream(per).sum(), ack.getValueAtPercentile(50) / 1000.0,
                ack.getValueAtPercentile(99) / 1000.0);
    }

    static TestHub hub(Consumer<Config.Builder> c) throws Exception {
        return TestHub.start(b -> {
            b.anonymous(true).historySize(10_000);
            c.accept(b);
        });
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static String latencyRow(String name, List<Latency> runs) {
        return String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f |", name,
                median(runs.stream().mapToDouble(Latency::ackP50).toArray()),
                median(runs.stream().mapToDouble(Latency::ackP99).toArray()),
                median(runs.stream().mapToDouble(Latency::deliveryP50).toArray()),
                median(runs.stream().mapToDouble(Latency::deliveryP99).toArray()));
    }

    static String throughputRow(String name, List<Throughput> runs) {
        int nodes = runs.get(0).perNode().length;
        StringBuilder per = new StringBuilder();
        for (int n = 0; n < nodes; n++) {
            int node = n;
            per.append(n == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.0f",
                    median(runs.stream().mapToDouble(r -> r.perNode()[node]).toArray())));
        }
        return String.format(Locale.ROOT, "| %s | %s | %.0f | %.2f | %.2f |", name, per,
                median(runs.stream().mapToDouble(Throughput::total).toArray()),
                median(runs.stream().mapToDouble(Throughput::ackP50).toArray()),
                median(runs.stream().mapToDouble(Throughput::ackP99).toArray()));
    }

    @Test
    void redis() throws Exception {
        List<String> out = new ArrayList<>();
        out.add("| publish on → receive on | ack p50 ms | ack p99 ms | delivery p50 ms | delivery p99 ms |");
        List<Latency> mem = new ArrayList<>();
        List<Latency> same = new ArrayList<>();
        List<Latency> cross = new ArrayList<>();
        List<Throughput> memT = new ArrayList<>();
        List<Throughput> oneT = new ArrayList<>();
        List<Throughput> threeT = new ArrayList<>();
        try (RedisServer redis = RedisServer.start(false)) {
            for (int run = 0; run < RUNS; run++) {
                String stream = "bench:" + run;
                try (TestHub m = hub(b -> { })) {
                    mem.add(latency(m, m));
                    memT.add(throughput(List.of(m), 16));
                }
                try (TestHub a = hub(b -> b.transport(redis.url()).redisStream(stream));
                     TestHub b2 = hub(b -> b.transport(redis.url()).redisStream(stream));
                     TestHub c = hub(b -> b.transport(redis.url()).redisStream(stream))) {
                    same.add(latency(a, a));
                    cross.add(latency(a, b2));
                    oneT.add(throughput(List.of(a), 16));
                    threeT.add(throughput(List.of(a, b2, c), 16));
                }
            }
        }
        out.add(latencyRow("memory: node A → node A", mem));
        out.add(latencyRow("redis: node A → node A", same));
        out.add(latencyRow("redis: node A → node B", cross));
        out.add("");
        out.add("| transport, publishers | per node /s | total /s | ack p50 ms | ack p99 ms |");
        out.add(throughputRow("memory, 1 node × 16", memT));
        out.add(throughputRow("redis, 1 node × 16 (3 nodes up)", oneT));
        out.add(throughputRow("redis, 3 nodes × 16", threeT));
        report("redis", out);
    }

    @Test
    void file() throws Exception {
        List<String> out = new ArrayList<>();
        out.add("| transport, publishers | publishes/s | ack p50 ms | ack p99 ms | updates per commit |");
        for (int concurrency : new int[] {1, 16}) {
            for (String kind : new String[] {"memory", "file, fsync", "file, no fsync"}) {
                List<Throughput> runs = new ArrayList<>();
                double[] perCommit = new double[RUNS];
                for (int run = 0; run < RUNS; run++) {
                    Path dir = Files.createTempDirectory("sluice-bench-");
                    try (TestHub h = hub(b -> {
                        if (!kind.equals("memory")) {
                            b.transport("file://" + dir).fileFsync(kind.equals("file, fsync"));
                        }
                    })) {
                        runs.add(throughput(List.of(h), concurrency));
                        perCommit[run] = updatesPerCommit(h);
                    }
                    try (var files = Files.walk(dir)) {
                        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                    }
                }
                String row = throughputRow(kind + " × " + concurrency, runs);
                // drop the per-node column: one node
                String[] cells = row.split("\\|");
                out.add("|" + cells[1] + "|" + cells[3] + "|" + cells[4] + "|" + cells[5] + "| "
                        + (kind.equals("memory") ? "-" : String.format(Locale.ROOT, "%.1f", median(perCommit))) + " |");
            }
        }
        report("file", out);
    }

    /**
     * The file transport alone (no HTTP): 10 000 publishes in flight at a time, 500-byte updates,
     * for a few seconds. What the store can take when the gateway is not the bottleneck.
     */
    @Test
    void fileTransportAlone() throws Exception {
        List<String> out = new ArrayList<>();
        out.add("| file transport alone, 10 000 in flight | updates/s | updates per commit |");
        for (boolean fsync : new boolean[] {true, false}) {
            double[] rates = new double[RUNS];
            double[] batches = new double[RUNS];
            for (int run = 0; run < RUNS; run++) {
                Path dir = Files.createTempDirectory("sluice-bench-");
                Config config = Config.builder().transport("file://" + dir).historySize(10_000).fileFsync(fsync).build();
                try (FileTransport t = (FileTransport) Transports.open(config)) {
                    t.start(u -> { });
                    String data = "x".repeat(500);
                    long n = 0;
                    long t0 = System.nanoTime();
                    while (System.nanoTime() - t0 < THROUGHPUT_MILLIS * 1_000_000L) {
                        List<java.util.concurrent.CompletableFuture<dev.sluice.topic.Update>> window = new ArrayList<>();
                        for (int i = 0; i < 10_000; i++) {
                            window.add(t.publish(new dev.sluice.topic.Update("u" + n++, List.of("t"), data, false, null, -1)));
                        }
                        java.util.concurrent.CompletableFuture.allOf(
                                window.toArray(java.util.concurrent.CompletableFuture[]::new)).get();
                    }
                    rates[run] = n / ((System.nanoTime() - t0) / 1e9);
                    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                            new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
                    t.bindMetrics(registry);
                    batches[run] = registry.get("sluice_transport_committed_updates").functionCounter().count()
                            / registry.get("sluice_transport_commits").functionCounter().count();
                }
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
            out.add(String.format(Locale.ROOT, "| %s | %.0f | %.0f |", fsync ? "fsync" : "no fsync", median(rates),
                    median(batches)));
        }
        report("file-alone", out);
    }

    /** Average group-commit size, from the file transport's metrics. */
    static double updatesPerCommit(TestHub h) throws Exception {
        String metrics = h.http.send(java.net.http.HttpRequest.newBuilder(h.url("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double commits = metric(metrics, "sluice_transport_commits_total");
        double updates = metric(metrics, "sluice_transport_committed_updates_total");
        return commits == 0 ? 0 : updates / commits;
    }

    static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return 0;
    }

    static void report(String name, List<String> lines) throws Exception {
        String text = String.join("\n", lines) + "\n";
        System.out.println("\n=== " + name + " ===\n" + text);
        Path target = Path.of("target", "bench-cluster-" + name + ".md");
        Files.writeString(target, text);
    }
}
