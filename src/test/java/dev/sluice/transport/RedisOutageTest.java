package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.RedisServer;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Redis stops answering under load (paused with SIGSTOP: its sockets stay open) and comes back:
 * the event loops are never blocked, publishes time out with 503 (never a 200 for an update that
 * was not stored), nodes say they are not ready, subscribers stay connected, and afterwards every
 * acknowledged update reaches them. Redis killed and restarted is part of the transport contract
 * ({@link RedisTransportContractTest}).
 */
@OnEveryIoKind
class RedisOutageTest {

    @Parameter
    IoKind io;

    RedisServer redis;
    final List<TestHub> nodes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        nodes.forEach(TestHub::close);
        if (redis != null) {
            redis.close();
        }
    }

    TestHub node() throws Exception {
        TestHub n = TestHub.start(io, b -> b.anonymous(true).transport(redis.url()).heartbeat(Duration.ofMillis(200))
                .redisTimeout(Duration.ofMillis(1000)));
        nodes.add(n);
        return n;
    }

    static int status(TestHub n, String path) throws Exception {
        return n.http.send(HttpRequest.newBuilder(n.url(path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void redisPausedWithSigstopDoesNotBlockTheEventLoops() throws Exception {
        redis = RedisServer.start(false);
        TestHub a = node();
        TestHub b = node();
        try (SseStream onB = b.subscribe("topic=o"); SharedLogContract.Publisher pub = new SharedLogContract.Publisher(a)) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pub.acknowledged().size() >= 20);

            redis.pause();
            long paused = System.nanoTime();
            int beats = onB.reader.comments.get();
            long slowest = 0;
            while (System.nanoTime() - paused < Duration.ofSeconds(3).toNanos()) {
                for (TestHub n : List.of(a, b)) {
                    long t0 = System.nanoTime();
                    assertThat(status(n, "/healthz")).isEqualTo(200);
                    slowest = Math.max(slowest, System.nanoTime() - t0);
                }
                Thread.sleep(50);
            }
            assertThat(Duration.ofNanos(slowest)).as("/healthz answers at once during the pause")
                    .isLessThan(Duration.ofMillis(500));
            assertThat(onB.reader.ended).isFalse();
            assertThat(onB.reader.comments.get()).as("heartbeats keep flowing").isGreaterThan(beats + 5);
            var during = pub.answers.stream().filter(x -> x.atNanos() > paused + Duration.ofMillis(1500).toNanos())
                    .toList();
            assertThat(during).as("publishes time out with 503").isNotEmpty()
                    .allSatisfy(x -> assertThat(x.status()).isEqualTo(503));
            assertThat(during.get(0).body()).contains("Redis at 127.0.0.1:" + redis.port).contains("no answer within");
            assertThat(status(a, "/readyz")).isEqualTo(503);

            redis.resume();
            long back = System.nanoTime();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pub.acknowledgedAfter(back) >= 20);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(b, "/readyz") == 200);
            pub.close();
            SharedLogContract.assertReceivedAll(onB, pub.acknowledged());
        }
    }
}
