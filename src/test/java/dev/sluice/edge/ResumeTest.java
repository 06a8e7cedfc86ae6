package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.support.SseReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/** Last-Event-ID: replay exactly what came after, in order, once, then live. */
@OnEveryIoKind
class ResumeTest {

    @Parameter
    IoKind io;

    TestHub hub;

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    private List<String> publish(int n, String topic) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(hub.publishOk("topic", topic, "data", topic + i));
        }
        return ids;
    }

    @Test
    void headerResumesAfterTheGivenIdThenGoesLive() throws Exception {
        hub = TestHub.start(io, b -> b.anonymous(true));
        List<String> ids = publish(10, "r");
        publish(3, "other");
        try (SseStream s = hub.subscribe("topic=r", "Last-Event-ID", ids.get(3))) {
            assertThat(s.header("last-event-id")).isEqualTo(ids.get(3));
            assertThat(s.take(6)).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(4, 10));
            String live = hub.publishOk("topic", "r", "data", "live");
            assertThat(s.next().id()).isEqualTo(live);
            nextIsMarker(s, "r");
        }
    }

    @Test
    void queryParameterWorksAndHeaderWins() throws Exception {
        hub = TestHub.start(io, b -> b.anonymous(true));
        List<String> ids = publish(5, "q");
        try (SseStream byQuery = hub.subscribe("topic=q&lastEventID=" + TestHub.q(ids.get(2)))) {
            assertThat(byQuery.header("last-event-id")).isEqualTo(ids.get(2));
            assertThat(byQuery.take(2)).extracting(SseEvent::id).containsExactly(ids.get(3), ids.get(4));
        }
        try (SseStream both = hub.subscribe("topic=q&lastEventID=" + TestHub.q(ids.get(0)),
                "Last-Event-ID", ids.get(3))) {
            assertThat(both.next().id()).isEqualTo(ids.get(4));
            nextIsMarker(both, "q");
        }
    }

    @Test
    void earliestReplaysAllRetainedHistory() throws Exception {
        hub = TestHub.start(io, b -> b.anonymous(true).historySize(5));
        List<String> ids = publish(8, "h");
        try (SseStream s = hub.subscribe("topic=h", "Last-Event-ID", "earliest")) {
            assertThat(s.header("last-event-id")).isEqualTo("earliest");
            assertThat(s.take(5)).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(3, 8));
        }
    }

    @Test
    void unknownIdIsAnsweredWithEarliestSemantics() throws Exception {
        hub = TestHub.start(io, b -> b.anonymous(true).historySize(3));
        List<String> ids = publish(6, "u");
        // ids.get(0) was evicted (history keeps 3): the client may have missed updates, so it
        // gets all that is retained and the header says "earliest" so it can tell.
        for (String asked : List.of(ids.get(0), "never-published")) {
            try (SseStream s = hub.subscribe("topic=u", "Last-Event-ID", asked)) {
                assertThat(s.header("last-event-id")).isEqualTo("earliest");
                assertThat(s.take(3)).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(3, 6));
            }
        }
    }

    @Test
    void resumeFromRepeatedIdContinuesAfterItsEarliestOccurrenceReusesIncluded() throws Exception {
        hub = TestHub.start(io, b -> b.anonymous(true));
        hub.publishOk("topic", "d", "id", "same", "data", "1");
        String mid = hub.publishOk("topic", "d", "data", "2");
        hub.publishOk("topic", "d", "id", "same", "data", "3");
        String last = hub.publishOk("topic", "d", "data", "4");
        try (SseStream s = hub.subscribe("topic=d", "Last-Event-ID", "same")) {
            // Mercure 1.0: the earliest "same", then every later update, the reused "same" included.
            assertThat(s.header("last-event-id")).isEqualTo("same");
            List<SseEvent> got = s.take(3);
            assertThat(got).extracting(SseEvent::id).containsExactly(mid, "same", last);
            assertThat(got).extracting(SseEvent::data).containsExactly("2", "3", "4");
            nextIsMarker(s, "d");
        }
    }

    @Test
    void replayLargerThanTheBudgetIsPacedNotCut() throws Exception {
        // 8 MiB of history against a 64 KiB budget: the replay follows the socket's pace.
        hub = TestHub.start(io, b -> b.anonymous(true).subscriberBudget(64 * 1024).historySize(2000)
                .historyMaxBytes(64L << 20));
        String payload = "x".repeat(4096);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ids.add(hub.publishOk("topic", "big", "data", payload));
        }
        try (SseStream s = hub.subscribe("topic=big", "Last-Event-ID", "earliest")) {
            List<SseEvent> got = s.take(2000);
            assertThat(got).extracting(SseEvent::id).containsExactlyElementsOf(ids);
            String live = hub.publishOk("topic", "big", "data", "after");
            assertThat(s.next().id()).isEqualTo(live);
            assertThat(hub.gateway.hub().stats().slowDisconnects()).isZero();
        }
    }

    /**
     * Publishing goes on while a resume is set up: whatever the interleaving, no gap and no
     * duplicate. (The publisher's failure fails the test.)
     */
    @Test
    void concurrentPublishingDuringResumeHasNoGapNorDuplicate() throws Exception {
        hub = TestHub.start(io, b -> b.anonymous(true).historySize(100_000).historyMaxBytes(256L << 20));
        List<String> before = publish(200, "c");
        CompletableFuture<List<String>> during = CompletableFuture.supplyAsync(() -> {
            try {
                return publish(300, "c");
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        try (SseStream s = hub.subscribe("topic=c", "Last-Event-ID", before.get(99))) {
            List<String> expected = new ArrayList<>(before.subList(100, 200));
            expected.addAll(during.get(60, TimeUnit.SECONDS));
            assertThat(expected).hasSize(400);
            assertThat(s.take(expected.size())).extracting(SseEvent::id).containsExactlyElementsOf(expected);
            nextIsMarker(s, "c");
        }
    }

    /**
     * Live updates arrive while the replay is certainly unfinished: the resuming client reads
     * nothing until they are all published, and the replay it asked for (about 14 MB) is more
     * than its budget and every socket buffer can hold, so it cannot have finished before. It
     * then gets the rest of the replay and the live updates, no gap and no duplicate.
     */
    @Test
    void liveUpdatesDuringAnUnfinishedReplayHaveNoGapNorDuplicate() throws Exception {
        hub = TestHub.start(io, b -> b.anonymous(true).subscriberBudget(64 * 1024).historySize(10_000)
                .historyMaxBytes(256L << 20));
        String payload = "y".repeat(16 * 1024);
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            before.add(hub.publishOk("topic", "o", "data", payload + i));
        }
        try (Socket raw = new Socket()) {
            raw.setReceiveBufferSize(4096);
            raw.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()));
            raw.getOutputStream().write(("GET /.well-known/mercure?topic=o HTTP/1.0\r\nLast-Event-ID: " + before.get(99)
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
            List<String> during = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                during.add(hub.publishOk("topic", "o", "data", "live" + i));
            }
            assertThat(hub.gateway.hub().subscribers()).as("the resuming client is still connected").isEqualTo(1);

            // The response head has no blank line within it, and its lines are not SSE fields.
            SseReader reader = new SseReader();
            Thread.ofVirtual().start(() -> {
                try {
                    reader.readAll(raw.getInputStream());
                } catch (java.io.IOException e) {
                    reader.failure = e;
                }
            });
            List<String> expected = new ArrayList<>(before.subList(100, 1000));
            expected.addAll(during);
            List<String> got = new ArrayList<>();
            while (got.size() < expected.size()) {
                SseEvent e = reader.next(10_000);
                assertThat(e).as("event %d (ended=%s, failure=%s)", got.size(), reader.ended, reader.failure).isNotNull();
                got.add(e.id());
            }
            assertThat(got).containsExactlyElementsOf(expected);
            assertThat(hub.gateway.hub().stats().slowDisconnects()).isZero();
        }
    }

    /** Nothing more is on its way: the next update of the topic is the next event. */
    private void nextIsMarker(SseStream s, String topic) throws Exception {
        String marker = hub.publishOk("topic", topic, "data", "marker");
        assertThat(s.next().id()).as("the next event is the marker published last").isEqualTo(marker);
    }
}
