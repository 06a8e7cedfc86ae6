package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.RedisServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.topic.Partitions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A partitioned log on a Redis Cluster of three primaries with a replica each, whose primary of
 * one partition is killed (SIGKILL) under a running gateway: the cluster promotes the replica,
 * the gateway finds the partition's new primary by itself, publishes are acknowledged again, and
 * every update acknowledged reaches the subscriber once and in order.
 */
class PartitionedRedisClusterFailoverTest {

    static final List<RedisServer> nodes = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        nodes.addAll(PartitionedRedisClusterTest.startCluster(3, 1, 1000));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (RedisServer n : nodes) {
            n.close();
        }
        nodes.clear();
    }

    /**
     * The primary (index into {@link #nodes}) that serves a key: the one that answers XLEN without a
     * redirection; nodes that do not answer are passed over.
     */
    static int primaryOf(String key) throws Exception {
        for (int n = 0; n < nodes.size(); n++) {
            String role;
            try {
                role = PartitionedRedisClusterTest.command(nodes.get(n).port, "ROLE");
            } catch (java.io.IOException down) {
                continue; // the killed one
            }
            if (role.contains("master") && PartitionedRedisClusterTest.command(nodes.get(n).port, "XLEN", key).startsWith(":")) {
                return n;
            }
        }
        throw new AssertionError("no primary serves " + key);
    }

    @Test
    void whenAPartitionsPrimaryIsKilledTheGatewayFollowsItsReplicaAndAcknowledgedUpdatesArriveOnceInOrder()
            throws Exception {
        String stream = "sluice:failover:" + System.nanoTime();
        String topic = "https://example.com/failover/1";
        String key = PartitionedRedisTransport.key(stream, new Partitions(4).of(topic));
        // The seed is a node other than the one that will be killed, found once the key exists.
        try (TestHub first = TestHub.start(b -> b.anonymous(true).transport(nodes.get(0).url()).redisStream(stream)
                .partitions(4))) {
            first.publishOk("topic", topic, "data", "seed");
        }
        int victim = primaryOf(key);
        int seed = victim == 0 ? 1 : 0;
        try (TestHub a = TestHub.start(b -> b.anonymous(true).transport(nodes.get(seed).url()).redisStream(stream)
                .partitions(4).redisTimeout(Duration.ofSeconds(2)));
             SseStream sub = a.subscribe("topic=" + TestHub.q(topic))) {
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                a.publishOk("topic", topic, "data", "before " + i);
                acked.add("before " + i);
            }
            assertThat(sub.take(10)).extracting(SseEvent::data).containsExactlyElementsOf(acked);
            // Let the replica take the last writes before its primary dies (replication is
            // asynchronous: what it had not taken would be lost with the primary, as Redis says).
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                String info = PartitionedRedisClusterTest.command(nodes.get(victim).port, "INFO", "replication");
                java.util.regex.Matcher master = java.util.regex.Pattern.compile("master_repl_offset:(\\d+)").matcher(info);
                java.util.regex.Matcher replica = java.util.regex.Pattern.compile("slave0:.*offset=(\\d+)").matcher(info);
                return master.find() && replica.find() && master.group(1).equals(replica.group(1));
            });

            nodes.get(victim).kill();
            int refused = 0;
            for (int i = 0; i < 10; i++) {
                refused += PartitionedRedisClusterTest.publishUntilAcknowledged(a, topic, "after " + i, Duration.ofSeconds(40));
                acked.add("after " + i);
            }
            assertThat(refused).as("publishes refused while the replica took over").isPositive();
            int now = primaryOf(key);
            assertThat(now).as("the partition's new primary").isNotEqualTo(victim);

            // Every update acknowledged after the failover reaches the subscriber, in order and once.
            List<String> after = acked.subList(10, 20);
            List<String> got = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            while (got.size() < after.size()) {
                SseEvent e = sub.poll(Duration.ofSeconds(20));
                assertThat(e).as("updates received after the failover so far: %s", got).isNotNull();
                assertThat(seen.add(e.data())).as("received once: %s", e.data()).isTrue();
                if (e.data().startsWith("after ")) {
                    got.add(e.data());
                }
            }
            assertThat(got).containsExactlyElementsOf(after);
            assertThat(sub.poll(Duration.ofMillis(300))).as("nothing more").isNull();
        }
    }
}
