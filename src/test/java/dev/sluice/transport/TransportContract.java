package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.Config;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.topic.Update;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every transport promises ({@link Transport}), checked the way users meet it: real gateways
 * over HTTP, on the transport's real engine. The same scenarios run against every transport; a
 * transport's test class extends the deepest contract that applies to it:
 *
 * <ul>
 *   <li>{@code TransportContract}: publish and acknowledgement, every field kept, one order
 *       across many publishes, caught-up (memory, file, Redis, NATS);</li>
 *   <li>{@link RetainedLogContract}: the log outlives a node, so a node started later replays it
 *       (file, Redis, NATS);</li>
 *   <li>{@link SharedLogContract}: several nodes on one log in an engine that can go away:
 *       caught-up across nodes, an outage answered 503, recovery without losing anything
 *       acknowledged, a node killed under load (Redis, NATS).</li>
 * </ul>
 *
 * <p>Each node is a gateway in this JVM ({@link TestHub}); the failover scenario uses gateway
 * processes. When the transport lets several nodes share the log, the scenarios below run over
 * {@link #nodesSharingTheLog()} nodes: publishes on one, subscribers on all.
 */
abstract class TransportContract {

    private final List<TestHub> nodes = new ArrayList<>();

    /** Points a node at the transport under test, and at this test's own log. */
    protected abstract void configure(Config.Builder b);

    /** How many nodes may share one log (1 for a transport whose log belongs to one node). */
    protected abstract int nodesSharingTheLog();

    /** What {@code /readyz} says the transport is (its {@link Transport#describe()}). */
    protected abstract String description();

    protected TestHub node(Consumer<Config.Builder> more) throws Exception {
        TestHub h = TestHub.start(b -> {
            b.anonymous(true);
            configure(b);
            more.accept(b);
        });
        nodes.add(h);
        return h;
    }

    protected TestHub node() throws Exception {
        return node(b -> { });
    }

    /** As many nodes as may share the log. */
    protected List<TestHub> nodes() throws Exception {
        List<TestHub> started = new ArrayList<>();
        for (int i = 0; i < nodesSharingTheLog(); i++) {
            started.add(node());
        }
        return started;
    }

    /** Closes a node now (a later node may need what it holds, e.g. a locked file). */
    protected void close(TestHub node) {
        node.close();
        nodes.remove(node);
    }

    /** The transport alone, configured as the nodes are, not started. */
    protected Transport transport() {
        Config.Builder b = Config.builder();
        configure(b);
        return Transports.open(b.build());
    }

    @AfterEach
    void closeNodes() {
        nodes.forEach(TestHub::close);
        nodes.clear();
    }

    static int status(TestHub node, String path) throws Exception {
        return get(node, path).statusCode();
    }

    static HttpResponse<String> get(TestHub node, String path) throws Exception {
        return node.http.send(HttpRequest.newBuilder(node.url(path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static Update update(int i) {
        return new Update("u" + i, List.of("https://example.com/t"), "d" + i, false, null, -1);
    }

    /**
     * A publish is answered 200 with the update's id once the log has it, and the update reaches
     * subscribers on every node with every field as published: a publisher's own id, repeated
     * ids (each update is delivered), type, retry, multi-line data, alternate topics, and the
     * private flag (only a subscriber whose token covers a topic gets it).
     */
    @Test
    void aPublishIsAcknowledgedAndReachesEveryNodeWithEveryField() throws Exception {
        List<TestHub> all = nodes();
        for (TestHub n : all) {
            HttpResponse<String> ready = get(n, "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains(description());
        }
        String topic = "https://example.com/alt";
        List<SseStream> allowed = new ArrayList<>();
        List<SseStream> otherClaims = new ArrayList<>();
        try {
            for (TestHub n : all) {
                allowed.add(n.subscribe("topic=" + TestHub.q(topic), "Authorization",
                        "Bearer " + TestHub.subscriber("https://example.com/{x}")));
                otherClaims.add(n.subscribe("topic=" + TestHub.q(topic), "Authorization",
                        "Bearer " + TestHub.subscriber("https://example.com/other/{x}")));
            }
            TestHub publisher = all.get(0);
            assertThat(publisher.publishOk("topic", "https://example.com/main", "topic", topic,
                    "data", "line 1\nline 2\r\nline 3", "id", "my-own-id", "type", "note", "retry", "1234",
                    "private", "on")).isEqualTo("my-own-id");
            String generated = publisher.publishOk("topic", topic, "data", "public");
            assertThat(generated).startsWith("urn:uuid:");
            publisher.publishOk("topic", topic, "id", "same", "data", "one");
            publisher.publishOk("topic", topic, "id", "same", "data", "two");

            SseEvent secret = new SseEvent("my-own-id", "note", "line 1\nline 2\nline 3", 1234L);
            List<SseEvent> open = List.of(new SseEvent(generated, "message", "public", null),
                    new SseEvent("same", "message", "one", null), new SseEvent("same", "message", "two", null));
            for (int i = 0; i < all.size(); i++) {
                List<SseEvent> expected = new ArrayList<>(List.of(secret));
                expected.addAll(open);
                assertThat(allowed.get(i).take(4)).as("node %d, token covering the topics", i)
                        .containsExactlyElementsOf(expected);
                assertThat(otherClaims.get(i).take(3)).as("node %d, token for other topics: public only", i)
                        .containsExactlyElementsOf(open);
            }
            for (SseStream s : otherClaims) {
                assertThat(s.poll(Duration.ofMillis(100))).isNull();
            }
        } finally {
            for (SseStream s : allowed) {
                s.close();
            }
            for (SseStream s : otherClaims) {
                s.close();
            }
        }
    }

    /**
     * The log has one order and every node delivers it: publishes made one after the other (on
     * alternating nodes) arrive in the order they were acknowledged, and publishes made at the
     * same time by several publishers arrive in the same order on every node, each publisher's
     * in its own order.
     */
    @Test
    void manyPublishesArriveInOneOrderOnEveryNode() throws Exception {
        List<TestHub> all = nodes();
        List<SseStream> subscribers = new ArrayList<>();
        try {
            for (TestHub n : all) {
                subscribers.add(n.subscribe("topic=order"));
            }
            List<String> sequential = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                sequential.add(all.get(i % all.size()).publishOk("topic", "order", "data", "s" + i));
            }
            List<List<String>> concurrent = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                List<String> mine = new CopyOnWriteArrayList<>();
                concurrent.add(mine);
                TestHub on = all.get(p % all.size());
                int publisher = p;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 50; i++) {
                            mine.add(on.publishOk("topic", "order", "data", "p" + publisher + "-" + i));
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join(60_000);
            }
            List<String> first = null;
            for (SseStream s : subscribers) {
                List<String> got = s.take(300).stream().map(SseEvent::id).toList();
                assertThat(got.subList(0, 150)).as("one after the other: the order of the acknowledgements")
                        .containsExactlyElementsOf(sequential);
                assertThat(new HashSet<>(got)).as("each update once").hasSize(300);
                for (List<String> mine : concurrent) {
                    assertThat(mine).hasSize(50);
                    assertThat(got.stream().filter(new HashSet<>(mine)::contains).toList())
                            .as("a publisher's updates in its order").containsExactlyElementsOf(mine);
                }
                if (first == null) {
                    first = got;
                } else {
                    assertThat(got).as("the same order on every node").containsExactlyElementsOf(first);
                }
                assertThat(s.poll(Duration.ofMillis(100))).isNull();
            }
        } finally {
            for (SseStream s : subscribers) {
                s.close();
            }
        }
    }

    /**
     * A resume from an id acknowledged a moment ago, on another node when the log is shared,
     * starts right after it: the node catches up with the log before it decides where the resume
     * starts, instead of taking the id for an unknown one (which would replay from "earliest").
     */
    @Test
    void aResumeFromAJustAcknowledgedIdStartsRightAfterIt() throws Exception {
        List<TestHub> all = nodes();
        TestHub publisher = all.get(0);
        TestHub resumer = all.get(all.size() - 1);
        for (int i = 0; i < 20; i++) {
            String id = publisher.publishOk("topic", "r", "data", "r" + i);
            try (SseStream s = resumer.subscribe("topic=r", "Last-Event-ID", id)) {
                assertThat(s.header("Last-Event-ID")).isEqualTo(id);
                if (i == 19) {
                    String next = publisher.publishOk("topic", "r", "data", "next");
                    assertThat(s.next().id()).as("nothing before the resume point").isEqualTo(next);
                }
            }
        }
    }

    /**
     * Resume positions are the updates' own ids (the publisher's, else the hub's), never the
     * log's entry ids, and each node resolves them in its history the same way: a repeated id
     * resumes after its earliest occurrence, and the later reuses of it are sent (Mercure 1.0).
     */
    @Test
    void aResumeFromARepeatedIdStartsAfterItsEarliestOccurrenceOnEveryNode() throws Exception {
        List<TestHub> all = nodes();
        TestHub publisher = all.get(0);
        publisher.publishOk("topic", "rep", "id", "again", "data", "1");
        String two = publisher.publishOk("topic", "rep", "data", "2");
        publisher.publishOk("topic", "rep", "id", "again", "data", "3");
        String four = publisher.publishOk("topic", "rep", "data", "4");
        for (int i = 0; i < all.size(); i++) {
            try (SseStream s = all.get(i).subscribe("topic=rep", "Last-Event-ID", "again")) {
                assertThat(s.header("Last-Event-ID")).as("node %d", i).isEqualTo("again");
                assertThat(s.take(3)).as("node %d", i).containsExactly(new SseEvent(two, "message", "2", null),
                        new SseEvent("again", "message", "3", null), new SseEvent(four, "message", "4", null));
            }
        }
    }

    /**
     * {@link Transport#caughtUp()} completes only once the node has handed its hub every update
     * acknowledged before it was called. (For transports whose publish delivers before it
     * acknowledges, this holds at once; a shared log must wait for its reader.)
     */
    @Test
    void caughtUpMeansEveryAcknowledgedUpdateWasDelivered() throws Exception {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (Transport t = transport()) {
            t.start(u -> seen.add(u.id()));
            assertThat(t.isReady()).isTrue();
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                acked.add(t.publish(update(i)).get(10, TimeUnit.SECONDS).id());
            }
            t.caughtUp().get(10, TimeUnit.SECONDS);
            assertThat(seen).as("delivered by the time caughtUp completed").containsExactlyElementsOf(acked);
        }
    }
}
