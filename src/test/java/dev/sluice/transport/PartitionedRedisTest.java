package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.ClusterScenarios;
import dev.sluice.support.FailoverSubscriber;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.RedisServer;
import dev.sluice.support.Scrape;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import dev.sluice.topic.Partitions;
import io.lettuce.core.RedisClient;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A log partitioned over several Redis streams ({@code --partitions}), with gateways as separate
 * processes and real redis-servers: every subscriber gets every update of its topics once and in
 * order, across nodes, across a node killed with SIGKILL and across resumes on another node; a
 * node reads only the partitions its subscribers need.
 */
class PartitionedRedisTest {

    static RedisServer redis;
    static RedisServer redis2;
    static final AtomicInteger logs = new AtomicInteger();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start(false);
        redis2 = RedisServer.start(false);
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
        if (redis2 != null) {
            redis2.close();
        }
    }

    /** {@code count} topics, the i-th in partition i mod n (n partitions). */
    static List<String> topics(int n, int count) {
        Partitions parts = new Partitions(n);
        List<String> out = new ArrayList<>();
        for (int i = 0, k = 0; out.size() < count; k++) {
            String t = "https://example.com/t/" + k;
            if (parts.of(t) == i % n) {
                out.add(t);
                i++;
            }
        }
        return out;
    }

    static String[] args(int partitions, String... more) {
        List<String> a = new ArrayList<>(List.of("--redis-stream", "plog" + logs.incrementAndGet(),
                "--partitions", String.valueOf(partitions)));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /**
     * Starts the gateways one after the other, each with the whole start-up allowance to itself
     * (on a loaded machine several JVMs starting at once can take longer than that).
     */
    static List<GatewayProcess> startNodes(int n, List<String> jvm, String transport, String... args) throws Exception {
        List<GatewayProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                GatewayProcess g = GatewayProcess.launch(jvm, transport, args);
                nodes.add(g);
                g.awaitPort();
            }
            return nodes;
        } catch (Exception | Error e) {
            ClusterScenarios.closeAll(nodes);
            throw e;
        }
    }

    static void publishOk(URI hub, String... pairs) throws Exception {
        HttpResponse<String> res = ClusterScenarios.publish(hub, pairs);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    }

    /** data per topic, in arrival order; the data is "topic-index:k" */
    static Map<String, List<Integer>> byTopic(List<String> data) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (String d : data) {
            int colon = d.lastIndexOf(':');
            out.computeIfAbsent(d.substring(0, colon), x -> new ArrayList<>()).add(Integer.parseInt(d.substring(colon + 1)));
        }
        return out;
    }

    static List<String> take(Sub r, int n) throws InterruptedException {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (got.size() < n && System.nanoTime() < deadline) {
            SseEvent e = r.next(100);
            if (e != null) {
                got.add(e.data());
            }
        }
        // Anything more (a duplicate) would arrive now.
        SseEvent extra = r.next(300);
        if (extra != null) {
            got.add(extra.data());
        }
        return got;
    }

    static String q(String t) {
        return "topic=" + TestHub.q(t);
    }

    @ParameterizedTest(name = "{0} partitions")
    @ValueSource(ints = {1, 2, 4})
    void everySubscriberOfEveryNodeGetsItsTopicsOnceAndInOrder(int partitions) throws Exception {
        List<String> topics = topics(partitions, 4);
        List<GatewayProcess> nodes = startNodes(2, ClusterScenarios.TEST_JVM, redis.url(),
                args(partitions));
        List<Sub> exact = new ArrayList<>();
        List<Sub> patterns = new ArrayList<>();
        try {
            for (int n = 0; n < nodes.size(); n++) {
                for (String t : topics) {
                    exact.add(subscribe(nodes.get(n).hubUrl(), q(t)));
                }
                patterns.add(subscribe(nodes.get(n).hubUrl(), q("https://example.com/t/{id}")));
            }
            int perTopic = 30;
            for (int k = 1; k <= perTopic; k++) {
                for (int i = 0; i < topics.size(); i++) {
                    publishOk(nodes.get((k + i) % nodes.size()).hubUrl(), "topic", topics.get(i), "data", i + ":" + k);
                }
            }
            // One update with two topics of different partitions (when there are several).
            publishOk(nodes.get(0).hubUrl(), "topic", topics.get(0), "topic", topics.get(1), "data", "both:1");
            List<Integer> expected = new ArrayList<>();
            for (int k = 1; k <= perTopic; k++) {
                expected.add(k);
            }
            for (int j = 0; j < exact.size(); j++) {
                int i = j % topics.size();
                List<String> got = take(exact.get(j), perTopic + (i < 2 ? 1 : 0));
                Map<String, List<Integer>> seen = byTopic(got);
                assertThat(seen.get(String.valueOf(i))).as("node %d topic %d", j / topics.size(), i).isEqualTo(expected);
                assertThat(seen.getOrDefault("both", List.of())).as("the two-topic update, once")
                        .hasSize(i < 2 ? 1 : 0);
            }
            for (Sub r : patterns) {
                List<String> got = take(r, perTopic * topics.size() + 1);
                Map<String, List<Integer>> seen = byTopic(got);
                for (int i = 0; i < topics.size(); i++) {
                    assertThat(seen.get(String.valueOf(i))).as("pattern, topic %d", i).isEqualTo(expected);
                }
                assertThat(seen.get("both")).as("the two-topic update, once").containsExactly(1);
            }
        } finally {
            for (Sub r : exact) {
                r.close();
            }
            for (Sub r : patterns) {
                r.close();
            }
            ClusterScenarios.closeAll(nodes);
        }
    }

    /**
     * Four partitions over two redis-servers, three nodes, clients on two topics of different
     * partitions; the third node is killed with SIGKILL while updates go on; its clients move to
     * another node with their Last-Event-ID.
     */
    @Test
    void aKilledNodesClientsLoseNothingOnAnotherNodeWithPartitionsOverTwoServers() throws Exception {
        int partitions = 4;
        List<String> topics = topics(partitions, 2);
        String[] a = args(partitions, "--redis-server", redis2.url());
        String stream = a[1];
        List<GatewayProcess> nodes = startNodes(3, ClusterScenarios.TEST_JVM, redis.url(), a);
        List<FailoverSubscriber> clients = new ArrayList<>();
        try {
            List<URI> hubs = new ArrayList<>();
            for (GatewayProcess g : nodes) {
                hubs.add(g.hubUrl());
            }
            for (int i = 0; i < 9; i++) {
                clients.add(new FailoverSubscriber(ClusterScenarios.HTTP, hubs, i % 3,
                        q(topics.get(0)) + "&" + q(topics.get(1)), 100));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (clients.stream().anyMatch(c -> c.connections.get() == 0)) {
                assertThat(System.nanoTime()).as("every client connected").isLessThan(deadline);
                Thread.sleep(10);
            }
            int updates = 300;
            for (int k = 1; k <= updates; k++) {
                if (k == 121) {
                    nodes.get(2).kill();
                }
                int i = k % 2;
                publishOk(hubs.get(k % 2), "topic", topics.get(i), "data", i + ":" + k);
                Thread.sleep(5);
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (clients.stream().anyMatch(c -> c.count() < updates) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(300);
            for (int c = 0; c < clients.size(); c++) {
                Map<String, List<Integer>> seen = byTopic(clients.get(c).received);
                for (int i = 0; i < 2; i++) {
                    List<Integer> expected = new ArrayList<>();
                    for (int k = 1; k <= updates; k++) {
                        if (k % 2 == i) {
                            expected.add(k);
                        }
                    }
                    assertThat(seen.get(String.valueOf(i))).as("client %d, topic %d (0 lost, 0 duplicated, in order)", c, i)
                            .isEqualTo(expected);
                }
                if (c % 3 == 2) {
                    assertThat(clients.get(c).connections.get()).as("client %d moved", c).isGreaterThanOrEqualTo(2);
                }
            }
            // Partition i lives on server i mod 2.
            Partitions parts = new Partitions(partitions);
            for (int i = 0; i < 2; i++) {
                int p = parts.of(topics.get(i));
                RedisServer holder = p % 2 == 0 ? redis : redis2;
                RedisServer other = p % 2 == 0 ? redis2 : redis;
                assertThat(xlen(holder, "{" + stream + "-p" + p + "}")).isEqualTo(updates / 2);
                assertThat(xlen(other, "{" + stream + "-p" + p + "}")).isZero();
            }
        } finally {
            for (FailoverSubscriber c : clients) {
                c.close();
            }
            ClusterScenarios.closeAll(nodes);
        }
    }

    static long xlen(RedisServer server, String key) {
        RedisClient raw = RedisClient.create(server.url());
        try (var c = raw.connect()) {
            return c.sync().xlen(key);
        } finally {
            raw.shutdown();
        }
    }

    /**
     * A node reads only the partitions its subscribers need; a subscriber that resumes on a node
     * that did not read its partition yet gets exactly what it missed.
     */
    @Test
    void aNodeReadsOnlyWhatItsSubscribersNeedAndAResumeElsewhereMissesNothing() throws Exception {
        int partitions = 4;
        List<String> topics = topics(partitions, 4);
        List<GatewayProcess> nodes = startNodes(2, ClusterScenarios.TEST_JVM, redis.url(),
                args(partitions));
        try {
            GatewayProcess a = nodes.get(0);
            GatewayProcess b = nodes.get(1);
            String wanted = topics.get(2);
            Sub first = subscribe(a.hubUrl(), q(wanted));
            for (int k = 1; k <= 10; k++) {
                for (int i = 0; i < topics.size(); i++) {
                    publishOk(b.hubUrl(), "topic", topics.get(i), "data", i + ":" + k);
                }
            }
            List<SseEvent> got = new ArrayList<>();
            while (got.size() < 10) {
                SseEvent e = first.next(5000);
                assertThat(e).as("event %d", got.size() + 1).isNotNull();
                if (e.data() != null && !e.data().isEmpty()) {
                    got.add(e);
                }
            }
            Scrape onA = Scrape.of(a.url("/metrics"));
            Scrape onB = Scrape.of(b.url("/metrics"));
            assertThat(onA.value("sluice_transport_partitions_tailed")).isEqualTo(1);
            assertThat(onB.value("sluice_transport_partitions_tailed")).isZero();
            for (int p = 0; p < partitions; p++) {
                assertThat(onA.value("sluice_transport_entries_read_total", "partition", String.valueOf(p)))
                        .as("entries of partition %d read by A", p).isEqualTo(p == 2 ? 10 : 0);
                assertThat(onB.value("sluice_transport_entries_read_total", "partition", String.valueOf(p)))
                        .as("entries of partition %d read by B", p).isZero();
            }
            String lastId = got.get(4).id();
            assertThat(lastId).startsWith("~");
            first.close();
            // More while the client is away, then it resumes on B after the fifth update.
            for (int k = 11; k <= 15; k++) {
                publishOk(a.hubUrl(), "topic", wanted, "data", "2:" + k);
            }
            Sub resumed = resume(b.hubUrl(), q(wanted), lastId);
            List<Integer> expected = new ArrayList<>();
            for (int k = 6; k <= 15; k++) {
                expected.add(k);
            }
            assertThat(byTopic(take(resumed, 10)).get("2")).isEqualTo(expected);
            // Live on B from there, and B now reads that partition only.
            publishOk(a.hubUrl(), "topic", wanted, "data", "2:16");
            assertThat(take(resumed, 1)).containsExactly("2:16");
            assertThat(Scrape.of(b.url("/metrics")).value("sluice_transport_partitions_tailed")).isEqualTo(1);
            resumed.close();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    Scrape.of(b.url("/metrics")).value("sluice_transport_partitions_tailed") == 0);
            // Published while B reads that partition no more: a live subscriber arriving on B now
            // gets none of it (B reads up to the end before it registers), a resume gets all of it.
            for (int k = 17; k <= 19; k++) {
                publishOk(a.hubUrl(), "topic", wanted, "data", "2:" + k);
            }
            Sub live = subscribe(b.hubUrl(), q(wanted));
            Sub back = resume(b.hubUrl(), q(wanted), lastId);
            publishOk(a.hubUrl(), "topic", wanted, "data", "2:20");
            assertThat(take(live, 1)).containsExactly("2:20");
            expected.addAll(List.of(16, 17, 18, 19, 20));
            assertThat(byTopic(take(back, 15)).get("2")).isEqualTo(expected);
            live.close();
            back.close();
            // A pattern needs every partition.
            Sub all = subscribe(b.hubUrl(), q("https://example.com/t/{id}"));
            assertThat(Scrape.of(b.url("/metrics")).value("sluice_transport_partitions_tailed")).isEqualTo(partitions);
            all.close();
        } finally {
            ClusterScenarios.closeAll(nodes);
        }
    }

    /** An open stream (registered once this returns: the head is written after registration). */
    record Sub(SseReader reader, java.io.InputStream body) implements AutoCloseable {
        SseEvent next(long millis) throws InterruptedException {
            return reader.next(millis);
        }

        @Override
        public void close() throws java.io.IOException {
            body.close();
        }
    }

    static Sub subscribe(URI hub, String query) throws Exception {
        return resume(hub, query, null);
    }

    static Sub resume(URI hub, String query, String lastEventId) throws Exception {
        var r = java.net.http.HttpRequest.newBuilder(URI.create(hub + "?" + query)).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            r.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<java.io.InputStream> res = ClusterScenarios.HTTP.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(res.statusCode()).isEqualTo(200);
        SseReader reader = new SseReader();
        Thread.ofVirtual().start(() -> reader.readAll(res.body()));
        return new Sub(reader, res.body());
    }
}
