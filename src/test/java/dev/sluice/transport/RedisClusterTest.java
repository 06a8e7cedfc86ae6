package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.RedisServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import io.lettuce.core.RedisClient;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/** Several gateways sharing one Redis stream: one log, the same order everywhere, resume anywhere. */
@OnEveryIoKind
class RedisClusterTest {

    @Parameter
    IoKind io;

    static RedisServer redis;
    static final AtomicInteger streams = new AtomicInteger();

    final List<TestHub> nodes = new ArrayList<>();
    final String stream = "test:log:" + streams.incrementAndGet();

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

    @AfterEach
    void stopNodes() {
        nodes.forEach(TestHub::close);
    }

    TestHub node(Consumer<Config.Builder> more) throws Exception {
        TestHub n = TestHub.start(io, b -> {
            b.anonymous(true).transport(redis.url()).redisStream(stream);
            more.accept(b);
        });
        nodes.add(n);
        return n;
    }

    TestHub node() throws Exception {
        return node(b -> { });
    }

    @Test
    void updatesOlderThanTheMaximumAgeLeaveTheLog() throws Exception {
        TestHub a = node(b -> b.historyMaxAge(Duration.ofMillis(300)));
        for (int i = 0; i < 5; i++) {
            a.publishOk("topic", "age", "data", "old" + i);
        }
        RedisClient raw = RedisClient.create(redis.url());
        try (var c = raw.connect()) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> c.sync().xlen(stream) == 0);
        } finally {
            raw.shutdown();
        }
        a.publishOk("topic", "age", "data", "new");
        TestHub late = node();
        assertThat(late.gateway.hub().stats().historyCount()).isEqualTo(1);
    }

    /**
     * A stream written before entries held the shared update record (plain fields, topics as
     * JSON) is still read, next to new entries; an entry that is neither is skipped and counted.
     */
    @Test
    void entriesOfTheEarlierFieldLayoutAreStillRead() throws Exception {
        RedisClient raw = RedisClient.create(redis.url());
        try (var c = raw.connect()) {
            c.sync().xadd(stream, java.util.Map.of("id", "old-1", "topics", "[\"o\",\"alt\"]", "data", "first\nline"));
            c.sync().xadd(stream, java.util.Map.of("something", "else"));
            c.sync().xadd(stream, java.util.Map.of("id", "old-2", "topics", "[\"o\"]", "data", "é ✓", "private", "1",
                    "type", "note", "retry", "1500"));
        } finally {
            raw.shutdown();
        }
        TestHub a = node();
        assertThat(a.gateway.hub().stats().historyCount()).isEqualTo(2);
        String fresh = a.publishOk("topic", "o", "data", "new");
        try (SseStream s = a.subscribe("topic=o", "Last-Event-ID", "earliest", "Authorization",
                "Bearer " + TestHub.subscriber("o"))) {
            assertThat(s.take(3)).containsExactly(new SseEvent("old-1", "message", "first\nline", null),
                    new SseEvent("old-2", "note", "é ✓", 1500L), new SseEvent(fresh, "message", "new", null));
        }
        String metrics = a.http.send(java.net.http.HttpRequest.newBuilder(a.url("/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("sluice_transport_foreign_entries_total 1.0");
    }

    @Test
    void anUnreachableRedisStopsStartUpWithAMessageNamingIt() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int closed = port;
        assertThatThrownBy(() -> node(b -> b.transport("redis://127.0.0.1:" + closed).redisTimeout(Duration.ofMillis(500))))
                .isInstanceOf(TransportUnavailableException.class)
                .hasMessageContaining("Redis at 127.0.0.1:" + closed + " is unreachable");
    }

    @Test
    void aWrongPasswordIsReportedAsARefusal() throws Exception {
        // Usually Redis's WRONGPASS reaches the message; now and then the client only sees the
        // connection closed after the failed handshake. Either way start-up stops, saying where.
        assertThatThrownBy(() -> node(b -> b.transport("redis://nobody:wrong@127.0.0.1:" + redis.port)))
                .isInstanceOf(TransportUnavailableException.class)
                .hasMessageContaining("Redis at 127.0.0.1:" + redis.port)
                .hasMessageNotContaining("wrong@")
                .satisfiesAnyOf(e -> assertThat(e).hasMessageContaining("refused the connection: WRONGPASS"),
                        e -> assertThat(e).hasMessageContaining("is unreachable"));
    }

    @Test
    void aRedisClusterNodeIsRefusedWithAnExplanation() throws Exception {
        try (RedisServer cluster = RedisServer.start(false, "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", "--cluster-port", Integer.toString(RedisServer.freePort()))) {
            assertThatThrownBy(() -> node(b -> b.transport(cluster.url())))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("Redis Cluster").hasMessageContaining("one stream key");
        }
    }

    @Test
    void aKeyThatIsNotAStreamIsRefused() throws Exception {
        try (var sock = new java.net.Socket("127.0.0.1", redis.port)) {
            sock.getOutputStream().write(("SET " + stream + " x\r\n").getBytes());
            sock.getInputStream().read(new byte[5]);
        }
        assertThatThrownBy(this::node).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--redis-stream").hasMessageContaining(stream);
    }
}
