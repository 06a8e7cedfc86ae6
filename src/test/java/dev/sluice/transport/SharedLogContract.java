package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.ClusterScenarios;
import dev.sluice.support.ClusterScenarios.FailoverResult;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The contract of a transport whose log lives in an engine that several nodes share and that can
 * go away (Redis, NATS): a node catches up with what others published, an outage is answered 503
 * and reported by {@code /readyz}, nothing acknowledged is lost when the engine comes back, and a
 * node killed under load loses its clients nothing. The engine is a real server process of the
 * test's own, killed with SIGKILL and restarted on its port and storage.
 */
abstract class SharedLogContract extends RetainedLogContract {

    /** The {@code --transport} URL of gateway processes. */
    protected abstract String transportUrl();

    /** Options of gateway processes that name this test's log. */
    protected abstract List<String> logOptions();

    /** SIGKILL to the engine. */
    protected abstract void killEngine() throws Exception;

    /** Starts the engine again on the same port and storage. */
    protected abstract void restartEngine() throws Exception;

    /** How publishers' 503 answers name the engine ("Redis", "NATS"). */
    protected abstract String engineName();

    /** Checks the transport's own metrics after an outage the node went through. */
    protected abstract void checkMetricsAfterOutage(String metrics);

    @Override
    protected int nodesSharingTheLog() {
        return 3;
    }

    @Override
    protected boolean aLaterNodeRunsBesideTheFirst() {
        return true;
    }

    /**
     * A node whose hub is busy with an entry (its sink does not return) is not caught up with
     * what another node published meanwhile: {@link Transport#caughtUp()} stays incomplete until
     * the node has delivered all of it.
     */
    @Test
    void caughtUpWaitsUntilTheNodeHasReadWhatOthersPublished() throws Exception {
        TestHub other = node();
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch busy = new CountDownLatch(1);
        try (Transport t = transport()) {
            t.start(u -> {
                seen.add(u.id());
                if (u.id().equals("first")) {
                    try {
                        busy.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            other.publishOk("topic", "c", "id", "first", "data", "0");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("first"));
            List<String> acked = new ArrayList<>(List.of("first"));
            for (int i = 1; i <= 5; i++) {
                acked.add(other.publishOk("topic", "c", "data", "" + i));
            }
            CompletableFuture<Void> caughtUp = t.caughtUp();
            Thread.sleep(300);
            assertThat(caughtUp).as("the node is still busy with the first entry").isNotDone();
            assertThat(seen).containsExactly("first");
            busy.countDown();
            caughtUp.get(10, TimeUnit.SECONDS);
            assertThat(seen).as("everything published before caughtUp() was called").containsExactlyElementsOf(acked);
        } finally {
            busy.countDown();
        }
    }

    /**
     * The engine is killed while a publisher is busy and restarted a while later: meanwhile
     * publishes are answered 503 naming the engine (never 200), every node's {@code /readyz} says
     * 503 while {@code /healthz} still answers, subscribers stay connected with heartbeats; after
     * the restart publishes are acknowledged again, every acknowledged update reaches the
     * subscribers of every node once and in order, and the log still holds all of them.
     */
    @Test
    void anOutageIsAnswered503AndRecoveryLosesNothingAcknowledged() throws Exception {
        TestHub a = node(b -> b.heartbeat(Duration.ofMillis(200)));
        TestHub b = node(c -> c.heartbeat(Duration.ofMillis(200)));
        try (SseStream onA = a.subscribe("topic=o"); SseStream onB = b.subscribe("topic=o");
             Publisher pub = new Publisher(a)) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pub.acknowledged().size() >= 30);

            killEngine();
            long killed = System.nanoTime();
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> pub.refusedAfter(killed) != null);
            assertThat(pub.refusedAfter(killed).body()).contains("not stored").contains(engineName());
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> status(a, "/readyz") == 503 && status(b, "/readyz") == 503);
            assertThat(status(a, "/healthz")).isEqualTo(200);
            int beats = onB.reader.comments.get();
            Thread.sleep(1000);
            assertThat(onB.reader.comments.get()).as("heartbeats keep flowing").isGreaterThan(beats + 2);

            long restarting = System.nanoTime();
            restartEngine();
            long back = System.nanoTime();
            // An answer already on its way when the engine died may land a moment after the kill.
            assertThat(pub.acknowledgedBetween(killed + Duration.ofMillis(1100).toNanos(), restarting))
                    .as("no 200 while the engine is down").isZero();
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> status(a, "/readyz") == 200 && status(b, "/readyz") == 200);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> pub.acknowledgedAfter(back) >= 30);
            pub.close();

            List<String> acked = pub.acknowledged();
            assertReceivedAll(onA, acked);
            assertReceivedAll(onB, acked);
            assertThat(onA.reader.ended || onB.reader.ended).as("subscribers stayed connected").isFalse();
            for (TestHub n : List.of(a, b)) {
                checkMetricsAfterOutage(get(n, "/metrics").body());
            }
            TestHub later = node();
            assertThat(later.gateway.hub().stats().historyCount()).as("the log kept every acknowledged update")
                    .isGreaterThanOrEqualTo(acked.size());
        }
    }

    /**
     * Concurrent publishers on one node with one event loop, so their publishes reach the engine
     * in shared batches, while the engine is killed and restarted: every publish is answered, 200
     * or 503 and nothing else (a batch whose write fails answers 503 for each publish in it, none
     * hangs), nothing is acknowledged while the engine is down, and every acknowledged update
     * reaches a subscriber on another node once, each publisher's in the order they were published.
     */
    @Test
    void concurrentPublishesThroughAnOutageAreEachAnsweredAndKeepTheirOrder() throws Exception {
        int publishers = 12;
        TestHub a = node(b -> b.workers(1));
        TestHub b = node();
        StringBuilder query = new StringBuilder();
        for (int p = 0; p < publishers; p++) {
            query.append(p == 0 ? "" : "&").append("topic=c").append(p);
        }
        record Answer(int status, String body, String data, long sentNanos) {}
        List<List<Answer>> answers = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        try (SseStream onB = b.subscribe(query.toString())) {
            for (int p = 0; p < publishers; p++) {
                List<Answer> mine = new CopyOnWriteArrayList<>();
                answers.add(mine);
                int publisher = p;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int n = 0; running.get(); n++) {
                        String data = "c" + publisher + "-" + n;
                        long sent = System.nanoTime();
                        try {
                            HttpResponse<String> r = a.publish(TestHub.publisher(),
                                    TestHub.form("topic", "c" + publisher, "data", data));
                            mine.add(new Answer(r.statusCode(), r.body(), data, sent));
                            if (r.statusCode() != 200) {
                                Thread.sleep(20);
                            }
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception e) {
                            mine.add(new Answer(-1, e.toString(), data, sent));
                        }
                    }
                }));
            }
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> answers.stream().allMatch(l -> l.stream().filter(x -> x.status == 200).count() >= 20));

            killEngine();
            long killed = System.nanoTime();
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> answers.stream()
                    .allMatch(l -> l.stream().anyMatch(x -> x.status == 503 && x.sentNanos > killed)));
            // Down for 2 s at least, so that publishes are sent well after the kill, too.
            Thread.sleep(Math.max(0, (killed + Duration.ofSeconds(2).toNanos() - System.nanoTime()) / 1_000_000));
            long restarting = System.nanoTime();
            restartEngine();
            long back = System.nanoTime();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> answers.stream()
                    .allMatch(l -> l.stream().filter(x -> x.status == 200 && x.sentNanos > back).count() >= 20));
            running.set(false);
            for (Thread t : threads) {
                t.join(20_000);
            }

            List<Answer> all = answers.stream().flatMap(List::stream).toList();
            assertThat(all).as("every publish answered 200 or 503").allSatisfy(x -> assertThat(x.status).isIn(200, 503));
            // A request sent a moment before the kill may have been stored and answered after it.
            long settled = killed + Duration.ofMillis(1100).toNanos();
            List<Answer> down = all.stream().filter(x -> x.sentNanos > settled && x.sentNanos < restarting).toList();
            assertThat(down).as("publishes sent while the engine was down").isNotEmpty()
                    .allSatisfy(x -> assertThat(x.status).isEqualTo(503))
                    .allSatisfy(x -> assertThat(x.body).contains("not stored").contains(engineName()));

            // Every acknowledged update reaches the other node once; each publisher's in order.
            Set<String> acked = new HashSet<>();
            for (List<Answer> l : answers) {
                l.stream().filter(x -> x.status == 200).forEach(x -> acked.add(x.data));
            }
            List<List<String>> received = new ArrayList<>();
            for (int p = 0; p < publishers; p++) {
                received.add(new ArrayList<>());
            }
            Set<String> seen = new HashSet<>();
            int got = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got < acked.size() && System.nanoTime() < deadline) {
                SseEvent e = onB.poll(Duration.ofMillis(200));
                if (e == null) {
                    continue;
                }
                assertThat(seen.add(e.data())).as("delivered once: %s", e.data()).isTrue();
                if (acked.contains(e.data())) {
                    got++;
                    received.get(Integer.parseInt(e.data().substring(1, e.data().indexOf('-')))).add(e.data());
                }
            }
            for (int p = 0; p < publishers; p++) {
                List<String> ackedInOrder = answers.get(p).stream().filter(x -> x.status == 200).map(Answer::data).toList();
                assertThat(received.get(p)).as("publisher %d's acknowledged updates, in order", p)
                        .containsExactlyElementsOf(ackedInOrder);
            }
        } finally {
            running.set(false);
            for (Thread t : threads) {
                t.join(20_000);
            }
        }
    }

    /**
     * Three gateway processes, 30 clients spread over them, 2000 numbered updates published on
     * the first two; the third is killed with SIGKILL after 800. Its clients reconnect to another
     * node with their Last-Event-ID, and every client ends up with every update once, in order.
     */
    @Test
    void aNodeKilledUnderLoadLosesItsClientsNothing() throws Exception {
        FailoverResult r = ClusterScenarios.failover(transportUrl(), ClusterScenarios.TEST_JVM, 30, 2000, 250, 800, 100,
                logOptions().toArray(String[]::new));
        System.out.println("failover over " + engineName() + ": " + r);
        assertThat(r.detail()).isEmpty();
        assertThat(r.lost()).isZero();
        assertThat(r.duplicated()).isZero();
        assertThat(r.outOfOrder()).isZero();
        assertThat(r.movedClients()).isEqualTo(10);
        assertThat(r.backMillis()).isBetween(0L, 10_000L);
    }

    /** Every acknowledged id arrives, in publish order, each once. */
    static void assertReceivedAll(SseStream s, List<String> acked) throws InterruptedException {
        Set<String> wanted = new HashSet<>(acked);
        List<String> got = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (got.size() < wanted.size() && System.nanoTime() < deadline) {
            SseEvent e = s.poll(Duration.ofMillis(200));
            if (e == null) {
                continue;
            }
            assertThat(seen.add(e.id())).as("delivered once: %s", e.id()).isTrue();
            if (wanted.contains(e.id())) {
                got.add(e.id());
            }
        }
        assertThat(got).as("every acknowledged update, in order").containsExactlyElementsOf(acked);
    }

    /** Publishes on one node, one at a time, until closed; remembers every answer in order. */
    static final class Publisher implements AutoCloseable {
        record Answer(int status, String body, long atNanos) {}

        final List<Answer> answers = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

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
            return acknowledgedBetween(nanos, Long.MAX_VALUE);
        }

        long acknowledgedBetween(long from, long to) {
            return answers.stream().filter(a -> a.status == 200 && a.atNanos > from && a.atNanos < to).count();
        }

        Answer refusedAfter(long nanos) {
            return answers.stream().filter(a -> a.status == 503 && a.atNanos > nanos).findFirst().orElse(null);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }
}
