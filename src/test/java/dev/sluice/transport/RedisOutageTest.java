package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.RedisServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Redis goes away under load (killed, or paused with SIGSTOP) and comes back: publishes are
 * refused with 503 meanwhile (never a 200 for an update that was not stored), nodes say they are
 * not ready, subscribers stay connected, and afterwards every acknowledged update reaches them.
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

    /** Publishes on one node, one at a time, until stopped; remembers every answer in order. */
    static final class Publisher implements AutoCloseable {
        record Answer(int status, String body, long atNanos) {}

        final List<Answer> answers = new CopyOnWriteArrayList<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        Publisher(TestHub on) {
            thread = Thread.ofPlatform().start(() -> {
                int i = 0;
                while (running.get()) {
                    try {
                        HttpResponse<String> r = on.publish(TestHub.publisher(),
                                TestHub.form("topic", "o", "data", "n" + i++));
                        answers.add(new Answer(r.statusCode(), r.body(), System.nanoTime()));
                        Thread.sleep(r.statusCode() == 200 ? 5 : 50);
                    } catch (Exception e) {
                        answers.add(new Answer(-1, e.toString(), System.nanoTime()));
                    }
                }
            });
        }

        List<String> acknowledged() {
            return answers.stream().filter(a -> a.status == 200).map(Answer::body).toList();
        }

        long acknowledgedAfter(long nanos) {
            return answers.stream().filter(a -> a.status == 200 && a.atNanos > nanos).count();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    static int status(TestHub n, String path) throws Exception {
        return n.http.send(HttpRequest.newBuilder(n.url(path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** Every acknowledged id arrives, in publish order, each once. */
    static void assertReceivedAll(SseStream s, List<String> acked) throws InterruptedException {
        Set<String> wanted = new HashSet<>(acked);
        List<String> got = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int found = 0;
        while (found < wanted.size() && System.nanoTime() < deadline) {
            SseEvent e = s.poll(Duration.ofMillis(200));
            if (e == null) {
                continue;
            }
            assertThat(seen.add(e.id())).as("delivered once: %s", e.id()).isTrue();
            if (wanted.contains(e.id())) {
                got.add(e.id());
                found++;
            }
        }
        assertThat(got).as("every acknowledged update, in order").containsExactlyElementsOf(acked);
    }

    @Test
    void redisKilledAndRestartedLosesNoAcknowledgedUpdate() throws Exception {
        redis = RedisServer.start(true); // appendonly: the log survives the restart
        TestHub a = node();
        TestHub b = node();
        try (SseStream onB = b.subscribe("topic=o"); SseStream onA = a.subscribe("topic=o");
             Publisher pub = new Publisher(a)) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pub.acknowledged().size() >= 50);

            redis.kill();
            long killed = System.nanoTime();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pub.answers.stream()
                    .anyMatch(x -> x.status() == 503 && x.atNanos() > killed));
            var refused = pub.answers.stream().filter(x -> x.status() == 503).findFirst().orElseThrow();
            assertThat(refused.body()).contains("not stored").contains("Redis at 127.0.0.1:" + redis.port)
                    .contains("unreachable");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(a, "/readyz") == 503
                    && status(b, "/readyz") == 503);
            assertThat(status(a, "/healthz")).isEqualTo(200);

            int beats = onB.reader.comments.get();
            Thread.sleep(1000);
            assertThat(onB.reader.ended).as("subscribers stay connected").isFalse();
            assertThat(onB.reader.comments.get()).as("heartbeats keep flowing").isGreaterThan(beats + 2);
            long acceptedDuringOutage = pub.acknowledgedAfter(killed + Duration.ofMillis(1100).toNanos());
            assertThat(acceptedDuringOutage).as("no 200 while Redis is down").isZero();

            redis.start();
            long back = System.nanoTime();
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> status(a, "/readyz") == 200
                    && status(b, "/readyz") == 200);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pub.acknowledgedAfter(back) >= 30);
            pub.close();

            List<String> acked = pub.acknowledged();
            assertReceivedAll(onB, acked);
            assertReceivedAll(onA, acked);
            assertThat(onB.reader.ended).isFalse();
            for (TestHub n : List.of(a, b)) {
                String metrics = n.http.send(HttpRequest.newBuilder(n.url("/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).as("the log kept everything: no gap").contains("sluice_transport_log_gaps_total 0.0")
                        .contains("sluice_transport_read_errors_total");
            }
        }
        // A node started now finds the whole log (it survived the restart) and resumes across it.
        TestHub c = node();
        assertThat(c.gateway.hub().historyCount()).isGreaterThanOrEqualTo(80);
    }

    @Test
    void redisPausedWithSigstopDoesNotBlockTheEventLoops() throws Exception {
        redis = RedisServer.start(false);
        TestHub a = node();
        TestHub b = node();
        try (SseStream onB = b.subscribe("topic=o"); Publisher pub = new Publisher(a)) {
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
            assertReceivedAll(onB, pub.acknowledged());
        }
    }
}
