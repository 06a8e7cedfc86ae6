package dev.sluice.transport;

import static dev.sluice.transport.PartitionedRedisTest.byTopic;
import static dev.sluice.transport.PartitionedRedisTest.publishOk;
import static dev.sluice.transport.PartitionedRedisTest.q;
import static dev.sluice.transport.PartitionedRedisTest.resume;
import static dev.sluice.transport.PartitionedRedisTest.startNodes;
import static dev.sluice.transport.PartitionedRedisTest.subscribe;
import static dev.sluice.transport.PartitionedRedisTest.take;
import static dev.sluice.transport.PartitionedRedisTest.topics;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.ClusterScenarios;
import dev.sluice.support.FailoverSubscriber;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.NatsServer;
import dev.sluice.support.RedisServer;
import dev.sluice.support.Scrape;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.topic.Partitions;
import dev.sluice.transport.PartitionedRedisTest.Sub;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A log partitioned over several JetStream streams ({@code --partitions} with
 * {@code --transport nats://...}), with gateways as separate processes and a real nats-server:
 * every subscriber gets every update of its topics once and in order, across nodes, across a node
 * killed with SIGKILL and across resumes on another node; a node reads only the partitions its
 * subscribers need; a position that is not one of this log is answered as with Redis.
 */
class PartitionedNatsTest {

    @TempDir
    static Path storage;
    static NatsServer nats;
    static final AtomicInteger logs = new AtomicInteger();

    @BeforeAll
    static void startNats() throws Exception {
        nats = NatsServer.start(storage.resolve("nats"));
    }

    @AfterAll
    static void stopNats() throws Exception {
        if (nats != null) {
            nats.close();
        }
    }

    /** A log of its own: {@code --nats-stream PLOGn --nats-subject plog.n --partitions N}, then {@code more}. */
    static String[] args(int partitions, String... more) {
        int n = logs.incrementAndGet();
        List<String> a = new ArrayList<>(List.of("--nats-stream", "PLOG" + n, "--nats-subject", "plog." + n,
                "--partitions", String.valueOf(partitions)));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @ParameterizedTest(name = "{0} partitions")
    @ValueSource(ints = {1, 2, 4})
    void everySubscriberOfEveryNodeGetsItsTopicsOnceAndInOrder(int partitions) throws Exception {
        List<String> topics = topics(partitions, 4);
        List<GatewayProcess> nodes = startNodes(2, ClusterScenarios.TEST_JVM, nats.url(), args(partitions));
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
     * Four partitions, three nodes, clients on two topics of different partitions; the third node
     * is killed with SIGKILL while updates go on; its clients move to another node with their
     * Last-Event-ID. Each partition's stream holds exactly the updates of its topics.
     */
    @Test
    void aKilledNodesClientsLoseNothingOnAnotherNode() throws Exception {
        int partitions = 4;
        List<String> topics = topics(partitions, 2);
        String[] a = args(partitions);
        String stream = a[1];
        List<GatewayProcess> nodes = startNodes(3, ClusterScenarios.TEST_JVM, nats.url(), a);
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
            Partitions parts = new Partitions(partitions);
            int p0 = parts.of(topics.get(0));
            int p1 = parts.of(topics.get(1));
            try (Connection nc = Nats.connect(nats.url())) {
                var jsm = nc.jetStreamManagement();
                for (int p = 0; p < partitions; p++) {
                    long count = jsm.getStreamInfo(stream + "-p" + p).getStreamState().getMsgCount();
                    assertThat(count).as("entries of partition %d", p)
                            .isEqualTo(p == p0 || p == p1 ? updates / 2 : 0);
                    assertThat(jsm.getStreamInfo(stream + "-p" + p).getConfiguration().getSubjects())
                            .containsExactly(a[3] + ".p" + p);
                }
            }
        } finally {
            for (FailoverSubscriber c : clients) {
                c.close();
            }
            ClusterScenarios.closeAll(nodes);
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
        List<GatewayProcess> nodes = startNodes(2, ClusterScenarios.TEST_JVM, nats.url(), args(partitions));
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
            Partitions.Position at = Partitions.Position.decode(lastId, partitions);
            assertThat(at.own()).isEqualTo(2);
            assertThat(at.seq()[2]).as("the stream sequence of the fifth entry of partition 2").isEqualTo(5);
            for (int p = 0; p < partitions; p++) {
                assertThat(at.known(p)).as("partition %d read by A", p).isEqualTo(p == 2);
            }
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
            Scrape afterB = Scrape.of(b.url("/metrics"));
            for (int p = 0; p < partitions; p++) {
                assertThat(afterB.value("sluice_transport_entries_read_total", "partition", String.valueOf(p)))
                        .as("B read no entry of partition %d", p).isEqualTo(p == 2 ? 20 : 0);
            }
            // A pattern needs every partition.
            Sub all = subscribe(b.hubUrl(), q("https://example.com/t/{id}"));
            assertThat(Scrape.of(b.url("/metrics")).value("sluice_transport_partitions_tailed")).isEqualTo(partitions);
            all.close();
        } finally {
            ClusterScenarios.closeAll(nodes);
        }
    }

    /**
     * Ids that are not positions of this log (another partition count, damaged, a plain update
     * id, "earliest") are answered the same on a NATS and on a Redis partitioned log: the stream
     * says {@code earliest} and replays everything kept; a position of this log resumes after it.
     */
    @Test
    void anIdThatIsNoPositionOfThisLogIsAnsweredAsWithRedis() throws Exception {
        int partitions = 4;
        String topic = topics(partitions, 1).get(0);
        long[] two = {1_764_500_000_000L, 1_764_500_000_000L};
        String otherLayout = new Partitions.Position(0, two, new long[] {3, 4}).encode();
        List<String> ids = List.of(otherLayout, "~AAAA", "~!!", "urn:uuid:nowhere", "earliest");
        List<List<String>> answers = new ArrayList<>();
        RedisServer redis = RedisServer.start(false);
        try {
            for (String engine : List.of("nats", "redis")) {
                String[] a = engine.equals("nats") ? args(partitions)
                        : new String[] {"--redis-stream", "badpos" + logs.incrementAndGet(), "--partitions", "4"};
                List<GatewayProcess> nodes = startNodes(1, ClusterScenarios.TEST_JVM,
                        engine.equals("nats") ? nats.url() : redis.url(), a);
                try {
                    URI hub = nodes.get(0).hubUrl();
                    Sub live = subscribe(hub, q(topic));
                    for (int k = 1; k <= 5; k++) {
                        publishOk(hub, "topic", topic, "data", "0:" + k);
                    }
                    List<String> seen = take(live, 5);
                    assertThat(seen).as(engine).containsExactly("0:1", "0:2", "0:3", "0:4", "0:5");
                    live.close();
                    List<String> answer = new ArrayList<>();
                    for (String id : ids) {
                        answer.add(id + " -> " + resumeAnswer(hub, q(topic), id, 5));
                    }
                    // A position of this log: after it, and the same position in the header.
                    String third = thirdId(hub, topic);
                    answer.add("third -> " + resumeAnswer(hub, q(topic), third, 2).replace(third, "<the id given>"));
                    answers.add(answer);
                } finally {
                    ClusterScenarios.closeAll(nodes);
                }
            }
        } finally {
            redis.close();
        }
        assertThat(answers.get(0)).as("NATS answers as Redis").isEqualTo(answers.get(1));
        for (int i = 0; i < ids.size(); i++) {
            assertThat(answers.get(0).get(i)).as(ids.get(i))
                    .isEqualTo(ids.get(i) + " -> earliest [0:1, 0:2, 0:3, 0:4, 0:5]");
        }
        assertThat(answers.get(0).get(ids.size())).isEqualTo("third -> <the id given> [0:4, 0:5]");
    }

    /** The id of the third event of the topic, as a resume from "earliest" shows it. */
    private static String thirdId(URI hub, String topic) throws Exception {
        try (Sub s = resume(hub, q(topic), "earliest")) {
            SseEvent e = null;
            for (int n = 0; n < 3; ) {
                e = s.next(5000);
                assertThat(e).isNotNull();
                if (e.data() != null && !e.data().isEmpty()) {
                    n++;
                }
            }
            return e.id();
        }
    }

    /** The Last-Event-ID header of a resume and the data of the {@code n} events it sends. */
    private static String resumeAnswer(URI hub, String query, String lastEventId, int n) throws Exception {
        HttpResponse<java.io.InputStream> res = ClusterScenarios.HTTP.send(HttpRequest.newBuilder(URI.create(hub + "?" + query))
                .header("Accept", "text/event-stream").header("Last-Event-ID", lastEventId).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(res.statusCode()).isEqualTo(200);
        SseReader reader = new SseReader();
        Thread.ofVirtual().start(() -> reader.readAll(res.body()));
        try (Sub s = new Sub(reader, res.body())) {
            return res.headers().firstValue("Last-Event-ID").orElse("<none>") + " " + take(s, n);
        }
    }
}
