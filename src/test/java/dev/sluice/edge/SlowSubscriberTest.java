package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * A subscriber that stops reading is cut loose once its byte budget is used (2 MiB here, so the
 * test's own reader is never cut on a loaded machine; 12 MB go out), without holding up
 * anyone else, and loses nothing: it resumes from history with the id of the last event it got.
 * The hub ends its stream with a comment saying why and a {@code retry:} hint, then the end of
 * the stream once that is read; a client that does not read even that is cut after the grace.
 */
@OnEveryIoKind
class SlowSubscriberTest {

    @Parameter
    IoKind io;

    @Test
    void stalledReaderIsCutLooseAndResumesWithoutLoss() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> {
            // A grace far longer than the read below may take: the stream must end because the
            // client read the hint, not because the grace ran out.
            b.anonymous(true).subscriberBudget(2 * 1024 * 1024).historySize(5000)
                    .historyMaxBytes(64L << 20).slowClientGrace(Duration.ofMinutes(5));
            b.slowClientRetry = Duration.ofMillis(1234);
        })) {
            // The slow one: HTTP/1.0 (no chunking, easy to parse raw), tiny receive buffer, never reads.
            Socket slow = new Socket();
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()));
            slow.getOutputStream().write("GET /.well-known/mercure?topic=q HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);

            try (SseStream fast = hub.subscribe("topic=q")) {
                String payload = "p".repeat(4000);
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 3000; i++) {
                    ids.add(hub.publishOk("topic", "q", "data", payload + i));
                }
                // The fast subscriber got everything while the slow one read nothing at all.
                assertThat(fast.take(3000)).extracting(SseEvent::id).containsExactlyElementsOf(ids);
                // Every loop has dispatched every event, so the slow one is past its budget: the hub
                // has queued its hint and the end of its stream, and waits for it to read them.
                Awaitility.await().until(() -> hub.gateway.hub().stats().queuedDispatches() == 0);

                // Now the slow client reads what it had been sent before the cut, then the hint
                // and the end of the stream (well within the grace).
                slow.setSoTimeout(30_000);
                byte[] raw = readToEnd(slow.getInputStream());
                slow.close();
                Awaitility.await().until(() -> hub.gateway.hub().stats().slowDisconnects() == 1);
                String text = new String(raw, StandardCharsets.UTF_8);
                int body = text.indexOf("\r\n\r\n") + 4;
                assertThat(text).endsWith("\n\n: too slow, resume from history\nretry: 1234\n\n");
                SseReader first = new SseReader();
                first.readAll(new ByteArrayInputStream(raw, body, raw.length - body));
                assertThat(first.failure).isNull();
                List<SseEvent> before = new ArrayList<>(first.events);
                assertThat(before).isNotEmpty().hasSizeLessThan(3000);
                String lastSeen = before.get(before.size() - 1).id();

                // It resumes like an EventSource would, and ends up with the full sequence.
                try (SseStream resumed = hub.subscribe("topic=q", "Last-Event-ID", lastSeen)) {
                    assertThat(resumed.header("last-event-id")).isEqualTo(lastSeen);
                    List<SseEvent> after = resumed.take(3000 - before.size());
                    LinkedHashSet<String> all = new LinkedHashSet<>();
                    before.forEach(e -> all.add(e.id()));
                    after.forEach(e -> all.add(e.id()));
                    assertThat(new ArrayList<>(all)).containsExactlyElementsOf(ids);
                    assertThat(before.size() + after.size()).as("no duplicates").isEqualTo(3000);
                }
            }
        }
    }

    @Test
    void readerThatNeverReadsIsCutAfterTheGrace() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).subscriberBudget(64 * 1024)
                .slowClientGrace(Duration.ofMillis(300)))) {
            try (Socket slow = new Socket()) {
                slow.setReceiveBufferSize(4096);
                slow.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()));
                slow.getOutputStream().write("GET /.well-known/mercure?topic=q HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
                String payload = "p".repeat(4000);
                for (int i = 0; i < 5000 && hub.gateway.hub().stats().slowDisconnects() == 0; i++) {
                    hub.publishOk("topic", "q", "data", payload + i);
                }
                // Without reading a byte, the connection is closed by the hub once the grace is over
                // (a stream is counted as ended when its connection closes).
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(hub.gateway.hub().subscribers()).as("subscribers still connected").isZero();
                    assertThat(hub.gateway.hub().stats().slowDisconnects()).isEqualTo(1);
                });
                slow.setSoTimeout(30_000);
                byte[] raw = readToEnd(slow.getInputStream());
                assertThat(new String(raw, StandardCharsets.US_ASCII)).startsWith("HTTP/1.0 200");
            }
        }
    }

    /**
     * Everything up to the end of the stream; fails if the stream is not ended (the read times
     * out) or is reset.
     */
    private static byte[] readToEnd(InputStream in) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        int n;
        while ((n = in.read(buf)) != -1) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }
}
