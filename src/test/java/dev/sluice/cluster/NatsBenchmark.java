package dev.sluice.cluster;

import dev.sluice.support.ClusterScenarios;
import dev.sluice.support.ClusterScenarios.FailoverResult;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.NatsServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figures of BENCHMARKS-cluster.md, section NATS and Failover. Not part of the build:
 * {@code ./mvnw -B test -Dtest=NatsBenchmark -Dsluice.bench=true}. Each figure is the median of
 * three runs; gateways run as separate processes with the launcher's JVM options, the load comes
 * from this JVM (JDK HttpClient), everything on one machine over loopback.
 */
@EnabledIfSystemProperty(named = "sluice.bench", matches = "true")
class NatsBenchmark {
    static final List<String> JVM = List.of("-Xms256m", "-Xmx1g", "-Xmn16m", "-XX:+UseParallelGC");
    static final int RUNS = 3;
    final StringBuilder report = new StringBuilder();

    @TempDir
    Path dir;

    private void say(String line) {
        System.out.println(line);
        report.append(line).append('\n');
    }

    @Test
    void figures() throws Exception {
        try (NatsServer nats = NatsServer.start(dir.resolve("nats"))) {
            latency(nats);
            throughput(nats);
            failover(nats);
        } finally {
            Files.writeString(Path.of("target", "bench-nats.md"), report);
        }
    }

    // --- latency: publish on one node, receive on a subscriber (same node or another) ---

    private void latency(NatsServer nats) throws Exception {
        say("latency, publish -> receive, 2,000 updates at 200/s after 500 of warm-up, 1 subscriber:");
        double[][] memory = new double[RUNS][];
        double[][] sameNode = new double[RUNS][];
        double[][] otherNode = new double[RUNS][];
        for (int run = 0; run < RUNS; run++) {
            List<GatewayProcess> mem = ClusterScenarios.startNodes(1, JVM, "memory");
            try {
                memory[run] = latencyRun(mem.get(0).hubUrl(), mem.get(0).hubUrl());
            } finally {
                ClusterScenarios.closeAll(mem);
            }
            List<GatewayProcess> two = ClusterScenarios.startNodes(2, JVM, nats.url());
            try {
                sameNode[run] = latencyRun(two.get(0).hubUrl(), two.get(0).hubUrl());
                otherNode[run] = latencyRun(two.get(0).hubUrl(), two.get(1).hubUrl());
            } finally {
                ClusterScenarios.closeAll(two);
                emptyLog(nats);
            }
            say(String.format("  run %d: memory p50 %.2f p99 %.2f ms | nats same node p50 %.2f p99 %.2f ms"
                            + " | nats other node p50 %.2f p99 %.2f ms", run + 1, memory[run][0], memory[run][1],
                    sameNode[run][0], sameNode[run][1], otherNode[run][0], otherNode[run][1]));
        }
        say(String.format("  median: memory p50 %.2f p99 %.2f ms | nats same node p50 %.2f p99 %.2f ms"
                        + " | nats other node p50 %.2f p99 %.2f ms", median(memory, 0), median(memory, 1),
                median(sameNode, 0), median(sameNode, 1), median(otherNode, 0), median(otherNode, 1)));
    }

    private static double median(double[][] runs, int column) {
        double[] v = Arrays.stream(runs).mapToDouble(r -> r[column]).sorted().toArray();
        return v[v.length / 2];
    }

    /** Returns {p50, p99} in milliseconds. */
    private static double[] latencyRun(URI publishTo, URI subscribeTo) throws Exception {
        int warm = 500;
        int n = 2000;
        long[] sent = new long[warm + n + 1];
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        SseReader reader = ClusterScenarios.subscribe(subscribeTo, "topic=lat", null);
        Thread receiver = Thread.ofPlatform().start(() -> {
            try {
                for (int got = 0; got < warm + n; got++) {
                    SseEvent e = reader.next(30_000);
                    long now = System.nanoTime();
                    if (e == null) {
                        return;
                    }
                    int k = Integer.parseInt(e.data());
                    if (k > warm) {
                        h.recordValue(now - sent[k]);
                    }
                }
            } catch (InterruptedException ignored) {
                // done
            }
        });
        long interval = TimeUnit.SECONDS.toNanos(1) / 200;
        long start = System.nanoTime();
        for (int k = 1; k <= warm + n; k++) {
            long due = start + (k - 1) * interval;
            while (System.nanoTime() < due) {
                LockSupport.parkNanos(due - System.nanoTime());
            }
            sent[k] = System.nanoTime();
            HttpResponse<String> res = ClusterScenarios.publish(publishTo, "topic", "lat", "data", String.valueOf(k));
            if (res.statusCode() != 200) {
                throw new AssertionError("publish answered " + res.statusCode());
            }
        }
        receiver.join(30_000);
        if (h.getTotalCount() != n) {
            throw new AssertionError("received " + h.getTotalCount() + " of " + n);
        }
        return new double[] {h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6};
    }

    // --- throughput: concurrent publishers, acknowledged publishes per second ---

    private void throughput(NatsServer nats) throws Exception {
        say("publish throughput, 16 concurrent publishers per node, 5 s after 3 s of warm-up, no subscribers:");
        double[] memory = new double[RUNS];
        double[] one = new double[RUNS];
        double[] three = new double[RUNS];
        for (int run = 0; run < RUNS; run++) {
            List<GatewayProcess> mem = ClusterScenarios.startNodes(1, JVM, "memory");
            try {
                memory[run] = rate(hubs(mem), 16);
            } finally {
                ClusterScenarios.closeAll(mem);
            }
            List<GatewayProcess> single = ClusterScenarios.startNodes(1, JVM, nats.url());
            try {
                one[run] = rate(hubs(single), 16);
            } finally {
                ClusterScenarios.closeAll(single);
                emptyLog(nats);
            }
            List<GatewayProcess> cluster = ClusterScenarios.startNodes(3, JVM, nats.url());
            try {
                three[run] = rate(hubs(cluster), 16);
            } finally {
                ClusterScenarios.closeAll(cluster);
                emptyLog(nats);
            }
            say(String.format("  run %d: memory 1 node %.0f/s | nats 1 node %.0f/s | nats 3 nodes %.0f/s total"
                    + " (%.0f/s per node)", run + 1, memory[run], one[run], three[run], three[run] / 3));
        }
        Arrays.sort(memory);
        Arrays.sort(one);
        Arrays.sort(three);
        say(String.format("  median: memory 1 node %.0f/s | nats 1 node %.0f/s | nats 3 nodes %.0f/s total (%.0f/s per node)",
                memory[1], one[1], three[1], three[1] / 3));
    }

    private static List<URI> hubs(List<GatewayProcess> nodes) throws Exception {
        List<URI> hubs = new ArrayList<>();
        for (GatewayProcess g : nodes) {
            hubs.add(g.hubUrl());
        }
        return hubs;
    }

    private static double rate(List<URI> hubs, int perNode) throws Exception {
        String body = TestHub.form("topic", "https://example.com/load", "data", "x".repeat(100));
        String auth = "Bearer " + TestHub.publisher();
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long warmUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        long end = warmUntil + TimeUnit.SECONDS.toNanos(5);
        List<Thread> threads = new ArrayList<>();
        for (URI hub : hubs) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest req = HttpRequest.newBuilder(hub).header("Authorization", auth)
                    .header("Content-Type", "application/x-www-form-urlencoded").timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            for (int i = 0; i < perNode; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    while (true) {
                        long now = System.nanoTime();
                        if (now > end) {
                            return;
                        }
                        try {
                            int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                            if (System.nanoTime() > warmUntil && System.nanoTime() <= end) {
                                (status == 200 ? ok : failed).incrementAndGet();
                            }
                        } catch (Exception e) {
                            failed.incrementAndGet();
                        }
                    }
                }));
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failed.get() > 0) {
            System.out.println("  (" + failed.get() + " publishes failed)");
        }
        return ok.get() / 5.0;
    }

    /** Each measurement starts on an empty log. */
    private static void emptyLog(NatsServer nats) throws Exception {
        try (io.nats.client.Connection nc = io.nats.client.Nats.connect(nats.url())) {
            nc.jetStreamManagement().deleteStream("SLUICE");
        }
    }

    // --- failover ---

    private void failover(NatsServer nats) throws Exception {
        say("failover: 3 nodes, 30 clients, 2,000 updates at 250/s, node 3 killed (SIGKILL) after update 800,"
                + " clients retry the next node after 100 ms:");
        long[] back = new long[RUNS];
        for (int run = 0; run < RUNS; run++) {
            FailoverResult r = ClusterScenarios.failover(nats.url(), JVM, 30, 2000, 250, 800, 100);
            back[run] = r.backMillis();
            say("  run " + (run + 1) + ": " + r + (r.detail().isEmpty() ? "" : " [" + r.detail() + "]"));
            emptyLog(nats);
        }
        Arrays.sort(back);
        say("  median time until all moved clients were back: " + back[1] + " ms");
    }
}
