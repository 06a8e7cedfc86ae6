package dev.sluice.support;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Scenarios over gateway processes that share a log, for any clustered transport: each takes the
 * {@code --transport} URL (and the options naming the log), so the same scenario runs against
 * every engine. The transport contract ({@code dev.sluice.transport.SharedLogContract}) runs them
 * against Redis and NATS; the benchmarks reuse them for their figures.
 */
public final class ClusterScenarios {
    private ClusterScenarios() {}

    public static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** The JVM options of gateway processes in tests: small heap, quick start. */
    public static final List<String> TEST_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    /** Starts {@code n} gateways on the transport and waits until all listen. */
    public static List<GatewayProcess> startNodes(int n, List<String> jvm, String transport, String... args)
            throws Exception {
        List<GatewayProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                nodes.add(GatewayProcess.launch(jvm, transport, args));
            }
            for (GatewayProcess g : nodes) {
                g.awaitPort();
            }
            return nodes;
        } catch (Exception | Error e) {
            closeAll(nodes);
            throw e;
        }
    }

    public static void closeAll(List<GatewayProcess> nodes) throws InterruptedException {
        for (GatewayProcess g : nodes) {
            g.close();
        }
    }

    /** Publishes form fields to a node with an all-topics token; returns the status. */
    public static HttpResponse<String> publish(URI hub, String... pairs) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(hub).timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + TestHub.publisher())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(TestHub.form(pairs))).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * What the failover scenario measured.
     *
     * @param backMillis from the kill until the last client of the killed node had its stream open on another node
     */
    public record FailoverResult(int nodes, int clients, int movedClients, int updates, int lost, int duplicated,
                                 int outOfOrder, long backMillis, long publishMillis, String detail) {
        @Override
        public String toString() {
            return String.format("%d nodes, %d clients (%d moved), %d updates: lost %d, duplicated %d, out of order %d;"
                            + " all clients back %d ms after the kill; publishing took %d ms",
                    nodes, clients, movedClients, updates, lost, duplicated, outOfOrder, backMillis, publishMillis);
        }
    }

    /**
     * Three nodes, {@code clients} subscribers spread over them, a publisher sending
     * {@code updates} numbered updates at {@code perSecond} to the first two nodes (each must be
     * acknowledged); the third node is killed with SIGKILL after {@code killAfter} updates. Its
     * clients move on to the next node with their Last-Event-ID. At the end every client should
     * hold 1..updates exactly once, in order. {@code args} are further options of every node (the
     * log's name, for instance).
     */
    public static FailoverResult failover(String transport, List<String> jvm, int clients, int updates, int perSecond,
                                          int killAfter, long reconnectDelayMillis, String... args) throws Exception {
        List<GatewayProcess> nodes = startNodes(3, jvm, transport, args);
        List<FailoverSubscriber> subs = new ArrayList<>();
        try {
            List<URI> hubs = new ArrayList<>();
            for (GatewayProcess g : nodes) {
                hubs.add(g.hubUrl());
            }
            for (int i = 0; i < clients; i++) {
                subs.add(new FailoverSubscriber(HTTP, hubs, i % 3, "topic=" + TestHub.q("https://example.com/seq"),
                        reconnectDelayMillis));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (subs.stream().anyMatch(s -> s.connections.get() == 0)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not every client connected within 20 s");
                }
                Thread.sleep(10);
            }

            long killedAt = 0;
            long started = System.nanoTime();
            long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
            for (int k = 1; k <= updates; k++) {
                long due = started + (k - 1) * interval;
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(due - System.nanoTime());
                }
                if (k == killAfter + 1) {
                    nodes.get(2).kill();
                    killedAt = System.nanoTime();
                }
                HttpResponse<String> res = publish(hubs.get(k % 2), "topic", "https://example.com/seq",
                        "data", String.valueOf(k));
                if (res.statusCode() != 200) {
                    throw new AssertionError("publish " + k + " answered " + res.statusCode() + ": " + res.body());
                }
            }
            long publishMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (subs.stream().anyMatch(s -> s.count() < updates) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(200); // anything extra (a duplicate) would arrive now

            int lost = 0;
            int duplicated = 0;
            int outOfOrder = 0;
            int moved = 0;
            long back = 0;
            StringBuilder detail = new StringBuilder();
            for (int i = 0; i < subs.size(); i++) {
                FailoverSubscriber s = subs.get(i);
                List<String> got = s.received;
                Set<Integer> seen = new HashSet<>();
                int previous = 0;
                for (String d : got) {
                    int v = Integer.parseInt(d);
                    if (!seen.add(v)) {
                        duplicated++;
                    } else if (v < previous) {
                        outOfOrder++;
                    }
                    previous = Math.max(previous, v);
                }
                int missing = 0;
                for (int k = 1; k <= updates; k++) {
                    if (!seen.contains(k)) {
                        missing++;
                    }
                }
                lost += missing;
                if (i % 3 == 2) {
                    moved++;
                    if (s.connections.get() < 2) {
                        detail.append("client ").append(i).append(" never reconnected; ");
                        back = Long.MAX_VALUE;
                    } else if (back != Long.MAX_VALUE) {
                        back = Math.max(back, s.connectedAtNanos - killedAt);
                    }
                }
                if (missing > 0) {
                    detail.append("client ").append(i).append(" missed ").append(missing).append("; ");
                }
            }
            return new FailoverResult(3, clients, moved, updates, lost, duplicated, outOfOrder,
                    back == Long.MAX_VALUE ? -1 : TimeUnit.NANOSECONDS.toMillis(back), publishMillis, detail.toString());
        } finally {
            for (FailoverSubscriber s : subs) {
                s.close();
            }
            closeAll(nodes);
        }
    }

    /** An open SSE stream on one node, parsed in the background. */
    public static SseReader subscribe(URI hub, String query, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(hub + "?" + query)).header("Accept", "text/event-stream");
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> res = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (res.statusCode() != 200) {
            throw new AssertionError("subscribe answered " + res.statusCode() + ": "
                    + new String(res.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        SseReader reader = new SseReader();
        Thread.ofVirtual().start(() -> reader.readAll(res.body()));
        return reader;
    }
}
