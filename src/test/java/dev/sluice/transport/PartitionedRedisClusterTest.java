package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.ConfigException;
import dev.sluice.support.RedisServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.topic.Partitions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A partitioned log on a real Redis Cluster of three primaries (three redis-server processes of
 * the test's own, joined with {@code redis-cli --cluster create}): each partition's stream lands
 * on the node that serves its slot, two gateways given one node each deliver each other's updates
 * to subscribers of every partition, once and in order, and a resume on the other gateway misses
 * nothing. A cluster node among several {@code --redis-server}s is refused with an explanation.
 */
class PartitionedRedisClusterTest {

    static final List<RedisServer> nodes = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        nodes.addAll(startCluster(3, 0, 5000));
    }

    /**
     * {@code primaries * (1 + replicasEach)} redis-servers of the test's own, joined into a
     * cluster with {@code redis-cli --cluster create}; returns once every node says the cluster is
     * ok. The caller closes them.
     */
    static List<RedisServer> startCluster(int primaries, int replicasEach, int nodeTimeoutMillis) throws Exception {
        List<RedisServer> started = new ArrayList<>();
        for (int i = 0; i < primaries * (1 + replicasEach); i++) {
            started.add(RedisServer.start(false, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-port", Integer.toString(RedisServer.freePort()),
                    "--cluster-node-timeout", Integer.toString(nodeTimeoutMillis)));
        }
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        for (RedisServer n : started) {
            cmd.add("127.0.0.1:" + n.port);
        }
        cmd.addAll(List.of("--cluster-replicas", Integer.toString(replicasEach), "--cluster-yes"));
        Process create = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(create.waitFor(60, TimeUnit.SECONDS)).as("redis-cli --cluster create ended").isTrue();
        assertThat(create.exitValue()).as("redis-cli --cluster create:\n%s", out).isZero();
        for (RedisServer n : started) {
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> command(n.port, "CLUSTER", "INFO").contains("cluster_state:ok"));
        }
        return started;
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (RedisServer n : nodes) {
            n.close();
        }
        nodes.clear();
    }

    /** One command over a plain socket; the whole reply as text (enough for INFO, XLEN, EXISTS). */
    static String command(int port, String... args) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5_000);
            StringBuilder req = new StringBuilder("*" + args.length + "\r\n");
            for (String a : args) {
                req.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            }
            OutputStream o = s.getOutputStream();
            o.write(req.toString().getBytes(StandardCharsets.UTF_8));
            o.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            int first = in.read(chunk);
            buf.write(chunk, 0, Math.max(first, 0));
            // A bulk reply may come in several segments: read until its announced length is there.
            String head = buf.toString(StandardCharsets.UTF_8);
            if (head.startsWith("$")) {
                int len = Integer.parseInt(head.substring(1, head.indexOf('\r')));
                int want = head.indexOf('\n') + 1 + len + 2;
                while (buf.size() < want) {
                    int n = in.read(chunk);
                    if (n < 0) {
                        break;
                    }
                    buf.write(chunk, 0, n);
                }
            }
            return buf.toString(StandardCharsets.UTF_8);
        }
    }

    static TestHub gateway(int node, String stream) throws Exception {
        return TestHub.start(b -> b.anonymous(true).transport(nodes.get(node).url()).redisStream(stream).partitions(4));
    }

    @Test
    void eachPartitionLivesOnTheNodeOfItsSlotAndEveryUpdateReachesItsSubscribersOnAnyGateway() throws Exception {
        String stream = "sluice:cluster:" + System.nanoTime();
        Partitions placement = new Partitions(4);
        // One topic per partition, so every partition (and so more than one node) carries updates.
        Map<Integer, String> topicOf = new HashMap<>();
        for (int i = 0; topicOf.size() < 4; i++) {
            String t = "https://example.com/items/" + i;
            topicOf.putIfAbsent(placement.of(t), t);
        }
        try (TestHub a = gateway(0, stream); TestHub b = gateway(1, stream)) {
            List<SseStream> onB = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                onB.add(b.subscribe("topic=" + TestHub.q(topicOf.get(p))));
            }
            SseStream everythingOnA = a.subscribe("topic=" + TestHub.q("https://example.com/items/{id}"));
            Map<Integer, List<String>> sent = new HashMap<>();
            List<String> all = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int p = i % 4;
                TestHub via = i % 2 == 0 ? a : b;
                String id = via.publishOk("topic", topicOf.get(p), "data", "update " + i);
                sent.computeIfAbsent(p, k -> new ArrayList<>()).add("update " + i);
                all.add("update " + i);
            }
            for (int p = 0; p < 4; p++) {
                assertThat(onB.get(p).take(10)).extracting(SseEvent::data).containsExactlyElementsOf(sent.get(p));
            }
            List<SseEvent> got = everythingOnA.take(40);
            assertThat(got).extracting(SseEvent::data).containsExactlyInAnyOrderElementsOf(all);
            for (int p = 0; p < 4; p++) {
                List<String> mine = new ArrayList<>();
                for (SseEvent e : got) {
                    if (sent.get(p).contains(e.data())) {
                        mine.add(e.data());
                    }
                }
                assertThat(mine).as("partition %d in publish order", p).containsExactlyElementsOf(sent.get(p));
            }

            // Each partition's stream is on exactly one node: the one whose slot it hashes to, and
            // the four are spread over more than one node.
            Set<Integer> holders = new HashSet<>();
            for (int p = 0; p < 4; p++) {
                String key = PartitionedRedisTransport.key(stream, p);
                List<Integer> with = new ArrayList<>();
                for (int n = 0; n < nodes.size(); n++) {
                    // A node answers XLEN for a key of a slot it does not serve with -MOVED.
                    String reply = command(nodes.get(n).port, "XLEN", key);
                    if (reply.startsWith(":")) {
                        assertThat(reply.trim()).as("entries of %s", key).isEqualTo(":10");
                        with.add(n);
                    } else {
                        assertThat(reply).startsWith("-MOVED");
                    }
                }
                assertThat(with).as("nodes serving %s", key).hasSize(1);
                holders.add(with.get(0));
            }
            assertThat(holders).as("the partitions are spread over the cluster's nodes").hasSizeGreaterThan(1);

            // A client of gateway A resumes on gateway B from its last id and misses nothing.
            String last = got.get(19).id();
            String more = a.publishOk("topic", topicOf.get(2), "data", "after");
            assertThat(everythingOnA.next().data()).isEqualTo("after");
            try (SseStream resumed = b.subscribe("topic=" + TestHub.q("https://example.com/items/{id}"),
                    "Last-Event-ID", last)) {
                List<SseEvent> rest = resumed.take(21);
                List<String> expected = new ArrayList<>();
                for (SseEvent e : got.subList(20, 40)) {
                    expected.add(e.data());
                }
                expected.add("after");
                assertThat(rest).extracting(SseEvent::data).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(resumed.poll(Duration.ofMillis(300))).as("nothing twice").isNull();
            }
            assertThat(more).isNotBlank();
            for (SseStream s : onB) {
                s.close();
            }
            everythingOnA.close();
        }
    }

    /**
     * Publishes one update again and again until it is acknowledged: while a partition's slot
     * moves every answer must be 200 or 503. Fails after {@code patience}; returns how many times
     * it was answered 503.
     */
    static int publishUntilAcknowledged(TestHub hub, String topic, String data, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        int refused = 0;
        while (true) {
            var res = hub.publish(TestHub.publisher(), TestHub.form("topic", topic, "data", data));
            if (res.statusCode() == 200) {
                return refused;
            }
            assertThat(res.statusCode()).as(res.body()).isEqualTo(503);
            refused++;
            assertThat(System.nanoTime()).as("'%s' acknowledged within %s", data, patience).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The node (index into {@link #nodes}) that holds a key: the others answer MOVED. */
    static int holder(String key) throws IOException {
        for (int n = 0; n < nodes.size(); n++) {
            if (command(nodes.get(n).port, "XLEN", key).startsWith(":")) {
                return n;
            }
        }
        throw new AssertionError("no node holds " + key);
    }

    static String bulk(String reply) {
        return reply.substring(reply.indexOf('\n') + 1).trim();
    }

    @Test
    void aPartitionWhoseSlotMovesToAnotherNodeIsFollowedThereWithoutLoss() throws Exception {
        String stream = "sluice:moving:" + System.nanoTime();
        String topic = "https://example.com/moving/1";
        String key = PartitionedRedisTransport.key(stream, new Partitions(4).of(topic));
        try (TestHub a = gateway(0, stream); SseStream sub = a.subscribe("topic=" + TestHub.q(topic))) {
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                a.publishOk("topic", topic, "data", "before " + i);
                acked.add("before " + i);
            }
            assertThat(sub.take(5)).extracting(SseEvent::data).containsExactlyElementsOf(acked);

            // Move the partition's slot, key and entries included, to another primary, as
            // `redis-cli --cluster reshard` does it.
            int from = holder(key);
            int to = (from + 1) % nodes.size();
            int slot = Integer.parseInt(command(nodes.get(from).port, "CLUSTER", "KEYSLOT", key).trim().substring(1));
            String fromId = bulk(command(nodes.get(from).port, "CLUSTER", "MYID"));
            String toId = bulk(command(nodes.get(to).port, "CLUSTER", "MYID"));
            assertThat(command(nodes.get(to).port, "CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", fromId)).startsWith("+OK");
            assertThat(command(nodes.get(from).port, "CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", toId)).startsWith("+OK");
            assertThat(command(nodes.get(from).port, "MIGRATE", "127.0.0.1", Integer.toString(nodes.get(to).port), key, "0",
                    "5000")).startsWith("+OK");
            for (RedisServer n : nodes) {
                assertThat(command(n.port, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", toId)).startsWith("+OK");
            }
            assertThat(holder(key)).isEqualTo(to);

            // Publishes go on: the first ones may be answered 503 (the old node answers MOVED)
            // until the gateway has asked the cluster where the slot went; each is sent again.
            int refused = 0;
            for (int i = 0; i < 5; i++) {
                refused += publishUntilAcknowledged(a, topic, "after " + i, Duration.ofSeconds(20));
                acked.add("after " + i);
            }
            // Every acknowledged update reaches the subscriber once, in order, read from the new node.
            assertThat(sub.take(5)).extracting(SseEvent::data).containsExactlyElementsOf(acked.subList(5, 10));
            assertThat(sub.poll(Duration.ofMillis(300))).as("nothing twice").isNull();
            assertThat(command(nodes.get(to).port, "XLEN", key).trim()).isEqualTo(":10");
            assertThat(refused).as("publishes refused while the slot moved").isLessThan(200);
        }
    }

    @Test
    void aClusterNodeAmongSeveralRedisServersIsRefusedWithAnExplanation() throws Exception {
        try (RedisServer standalone = RedisServer.start(false)) {
            assertThatThrownBy(() -> TestHub.start(b -> b.anonymous(true).transport(standalone.url())
                    .redisServers(List.of(nodes.get(0).url())).partitions(4)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("Redis Cluster node").hasMessageContaining("no --redis-server");
        }
    }

    @Test
    void withoutPartitionsAClusterIsRefusedPointingToThem() {
        assertThatThrownBy(() -> TestHub.start(b -> b.anonymous(true).transport(nodes.get(0).url())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Redis Cluster").hasMessageContaining("--partitions");
    }
}
