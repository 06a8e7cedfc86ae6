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
 */
@OnEveryIoKind
class SlowSubscriberTest {

    @Parameter
    IoKind io;

    @Test
    void stalledReaderIsCutLooseAndResumesWithoutLoss() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).subscriberBudget(2 * 1024 * 1024).historySize(5000)
                .historyMaxBytes(64L << 20).slowClientGrace(Duration.ofMillis(300)))) {
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
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> hub.gateway.hub().stats().slowDisconnects() == 1);

                // Now the slow client reads what it had been sent before the cut.
                slow.setSoTimeout(10_000);
                byte[] raw = readAll(slow.getInputStream());
                slow.close();
                String text = new String(raw, StandardCharsets.UTF_8);
                int body = text.indexOf("\r\n\r\n") + 4;
                SseReader first = new SseReader();
                first.readAll(new ByteArrayInputStream(raw, body, raw.length - body));
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

    private static byte[] readAll(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        try {
            int n;
            while ((n = in.read(buf)) != -1) {
                out.write(buf, 0, n);
            }
        } catch (java.io.IOException resetAfterCut) {
            // the server closed while data was pending: what arrived is what counts
        }
        return out.toByteArray();
    }
}
