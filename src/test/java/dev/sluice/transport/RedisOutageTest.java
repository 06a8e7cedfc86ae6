package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.PendingPublish;
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
                .redisTimeout(Duration.ofMillis(1000)).workers(1)); // one loop: a wait on it would hold /healthz too
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
            int atPause = pub.answers.size();
            int beats = onB.reader.comments.get();
            try (PendingPublish waiting = new PendingPublish(a, "o", "waiting")) {
                // The event loops are not blocked: /healthz answers on both nodes, several times,
                // while that publish still waits for Redis (its request was read by the loop
                // before the first of them).
                int answeredWhileWaiting = 0;
                for (int i = 0; i < 50 && answeredWhileWaiting < 3 && waiting.pending(); i++) {
                    for (TestHub n : List.of(a, b)) {
                        assertThat(status(n, "/healthz")).isEqualTo(200);
                    }
                    if (waiting.pending()) {
                        answeredWhileWaiting++;
                    }
                }
                assertThat(answeredWhileWaiting).as("/healthz answers while a publish waits for the paused Redis")
                        .isEqualTo(3);
                assertThat(waiting.status(Duration.ofSeconds(30))).as("a publish during the pause times out").isEqualTo(503);
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> onB.reader.comments.get() > beats + 5);
            assertThat(onB.reader.ended).isFalse();
            // The background publisher sends one request at a time: every answer after the first
            // one following the pause is for a request sent during it.
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> pub.answers.size() >= atPause + 3);
            var during = List.copyOf(pub.answers.subList(atPause + 1, pub.answers.size()));
            assertThat(during).as("publishes time out with 503").allSatisfy(x -> assertThat(x.status()).isEqualTo(503));
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
