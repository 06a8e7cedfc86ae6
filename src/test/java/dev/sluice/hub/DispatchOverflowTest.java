package dev.sluice.hub;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.topic.Update;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A loop that falls behind stops queueing and catches up from history: with an inbox of 2 and
 * bursts of thousands of updates, every subscriber still gets every update once, in order, and
 * the hub's memory is the history, not a backlog. A subscriber whose socket cannot take the
 * catch-up reads it at its own pace instead of being cut loose; a loop that falls further behind
 * than history holds counts (and logs) what it could not reach.
 */
@OnEveryIoKind
class DispatchOverflowTest {

    @Parameter
    IoKind io;

    @Test
    void subscribersOfAnOverflowingLoopCatchUpFromHistoryWithoutGapOrDuplicate() throws Exception {
        overflowCatchUp(b -> { });
    }

    /** With throttled topics each subscriber of an overflowed loop replays history on its own. */
    @Test
    void withThrottledTopicsEachSubscriberCatchesUpWithoutGapOrDuplicate() throws Exception {
        overflowCatchUp(b -> b.throttle(java.util.Map.of("elsewhere", java.time.Duration.ofMillis(50))));
    }

    private void overflowCatchUp(java.util.function.Consumer<dev.sluice.config.Config.Builder> more) throws Exception {
        try (TestHub hub = TestHub.start(io, b -> {
            b.anonymous(true).workers(1).maxDispatchQueue(2).historySize(50_000).historyMaxBytes(256L << 20);
            more.accept(b);
        })) {
            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                streams.add(hub.subscribe(i % 2 == 0 ? "topic=o" : "topic=" + TestHub.q("{x}") + "&topic=o"));
            }
            Hub h = hub.gateway.hub();
            List<String> ids = new ArrayList<>();
            // The loop is held for the first half, so its inbox of 2 overflows whatever its speed.
            java.util.concurrent.CountDownLatch release = holdTheEventLoop(hub);
            for (int i = 0; i < 5_000; i++) {
                if (i == 2_500) {
                    release.countDown();
                }
                String id = "u" + i;
                ids.add(id);
                h.accept(new Update(id, List.of("o"), "payload " + i + " " + "z".repeat(i % 300), false, null, -1));
            }
            assertThat(h.stats().dispatchRefused()).as("the tiny inbox refused updates").isPositive();
            for (SseStream s : streams) {
                List<SseEvent> got = s.take(5_000);
                assertThat(got).extracting(SseEvent::id).containsExactlyElementsOf(ids);
                assertThat(s.poll(java.time.Duration.ofMillis(100))).isNull();
            }
            assertThat(h.stats().overflows()).as("the loop caught up from history").isPositive();
            String live = hub.publishOk("topic", "o", "data", "after");
            for (SseStream s : streams) {
                assertThat(s.next().id()).isEqualTo(live);
                s.close();
            }
        }
    }

    @Test
    void aCatchingUpLoopSendsTheSubscribersOfEachTopicTheirUpdatesInOrder() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).workers(1).maxDispatchQueue(2).historySize(50_000)
                .historyMaxBytes(256L << 20))) {
            int topics = 10;
            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < 3 * topics; i++) {
                streams.add(hub.subscribe("topic=t" + (i % topics)));
            }
            SseStream everything = hub.subscribe("topic=" + TestHub.q("t{n}"));
            Hub h = hub.gateway.hub();
            List<List<String>> idsByTopic = new ArrayList<>();
            List<String> all = new ArrayList<>();
            for (int t = 0; t < topics; t++) {
                idsByTopic.add(new ArrayList<>());
            }
            java.util.concurrent.CountDownLatch release = holdTheEventLoop(hub);
            for (int i = 0; i < 6_000; i++) {
                if (i == 3_000) {
                    release.countDown();
                }
                String id = "m" + i;
                int t = (i * 7) % topics;
                idsByTopic.get(t).add(id);
                all.add(id);
                h.accept(new Update(id, List.of("t" + t), "payload " + i, false, null, -1));
            }
            assertThat(h.stats().dispatchRefused()).as("the tiny inbox refused updates").isPositive();
            for (int i = 0; i < streams.size(); i++) {
                List<String> expected = idsByTopic.get(i % topics);
                assertThat(streams.get(i).take(expected.size())).extracting(SseEvent::id).containsExactlyElementsOf(expected);
            }
            assertThat(everything.take(all.size())).extracting(SseEvent::id).containsExactlyElementsOf(all);
            assertThat(h.stats().overflows()).as("the loop caught up from history").isPositive();
            assertThat(h.stats().dispatchGaps()).isZero();
            assertThat(h.stats().slowDisconnects()).isZero();
            String live = hub.publishOk("topic", "t3", "data", "after");
            assertThat(streams.get(3).next().id()).isEqualTo(live);
            assertThat(everything.next().id()).isEqualTo(live);
            for (SseStream s : streams) {
                s.close();
            }
            everything.close();
        }
    }

    @Test
    void aLoopFurtherBehindThanHistoryCountsWhatItCouldNotReachAndQueuesAgain() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).workers(1).maxDispatchQueue(2).historySize(100))) {
            try (SseStream stream = hub.subscribe("topic=g")) {
                Hub h = hub.gateway.hub();
                List<String> ids = new ArrayList<>();
                // Hold the only event loop while 1,000 updates arrive: it queues 2, refuses the
                // rest, and history keeps the last 100.
                java.util.concurrent.CountDownLatch release = holdTheEventLoop(hub);
                try {
                    for (int i = 0; i < 1_000; i++) {
                        String id = "g" + i;
                        ids.add(id);
                        h.accept(new Update(id, List.of("g"), "payload " + i, false, null, -1));
                    }
                } finally {
                    release.countDown();
                }
                List<String> expected = new ArrayList<>(ids.subList(0, 2));
                expected.addAll(ids.subList(900, 1_000));
                assertThat(stream.take(expected.size())).extracting(SseEvent::id).containsExactlyElementsOf(expected);
                assertThat(h.stats().dispatchGaps()).as("the updates between the queued ones and history").isEqualTo(898);
                assertThat(h.stats().overflows()).isEqualTo(1);
                // Caught up, it queues again: the next update arrives live, nothing after it is skipped.
                String live = hub.publishOk("topic", "g", "data", "after");
                assertThat(stream.next().id()).isEqualTo(live);
                assertThat(stream.poll(java.time.Duration.ofMillis(200))).isNull();
                assertThat(h.stats().dispatchGaps()).isEqualTo(898);
            }
        }
    }

    @Test
    void aSubscriberWhoseSocketCannotTakeTheCatchUpReadsItAtItsOwnPaceInsteadOfBeingCut() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).workers(1).maxDispatchQueue(2).subscriberBudget(64 * 1024)
                .historySize(5_000).historyMaxBytes(64L << 20))) {
            java.net.Socket slow = new java.net.Socket();
            slow.setReceiveBufferSize(4096);
            slow.connect(new java.net.InetSocketAddress("127.0.0.1", hub.gateway.port()));
            slow.getOutputStream().write("GET /.well-known/mercure?topic=s HTTP/1.0\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            try (slow; SseStream fast = hub.subscribe("topic=s")) {
                org.awaitility.Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 2);
                Hub h = hub.gateway.hub();
                String payload = "p".repeat(4000);
                List<String> ids = new ArrayList<>();
                java.util.concurrent.CountDownLatch release = holdTheEventLoop(hub);
                try {
                    for (int i = 0; i < 2_000; i++) {
                        String id = "s" + i;
                        ids.add(id);
                        h.accept(new Update(id, List.of("s"), payload + i, false, null, -1));
                    }
                } finally {
                    release.countDown();
                }
                // The fast one takes the whole catch-up while the slow one reads nothing.
                assertThat(fast.take(ids.size())).extracting(SseEvent::id).containsExactlyElementsOf(ids);
                org.awaitility.Awaitility.await().until(() -> h.stats().queuedDispatches() == 0);
                assertThat(h.stats().slowDisconnects()).as("not cut loose: the loop fell behind, not the client").isZero();

                // Now it reads: everything, once, in order, and the stream stays open.
                java.io.InputStream in = slow.getInputStream();
                skipHead(in);
                dev.sluice.support.SseReader reader = new dev.sluice.support.SseReader();
                Thread t = new Thread(() -> reader.readAll(in));
                t.setDaemon(true);
                t.start();
                List<String> got = new ArrayList<>();
                while (got.size() < ids.size()) {
                    SseEvent e = reader.next(30_000);
                    assertThat(e).as("event %d of %d", got.size() + 1, ids.size()).isNotNull();
                    got.add(e.id());
                }
                assertThat(got).containsExactlyElementsOf(ids);
                assertThat(h.stats().replayed()).as("the rest of the catch-up was read from history at its pace").isPositive();
                String live = hub.publishOk("topic", "s", "data", "after");
                SseEvent e = reader.next(30_000);
                assertThat(e).isNotNull();
                assertThat(e.id()).isEqualTo(live);
                assertThat(h.stats().slowDisconnects()).isZero();
                assertThat(h.stats().dispatchGaps()).isZero();
            }
        }
    }

    /**
     * Blocks the hub's only event loop with a task until the returned latch is counted down, and
     * returns once the task runs: nothing is dispatched meanwhile.
     */
    private static java.util.concurrent.CountDownLatch holdTheEventLoop(TestHub hub) throws InterruptedException {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        hub.gateway.eventLoops().next().execute(() -> {
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(held.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the event loop is held").isTrue();
        return release;
    }

    /** Reads an HTTP/1.0 response head up to its blank line. */
    private static void skipHead(java.io.InputStream in) throws java.io.IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                throw new java.io.EOFException("the stream ended inside the response head");
            }
            matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
        }
    }
}
