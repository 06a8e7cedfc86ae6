package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.topic.Update;
import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every holder of an event's bytes named in {@link Event} lets go: history (eviction and close),
 * the dispatch inbox (delivery, refusal when full, discard), a subscriber's outbound queue
 * (written, and dropped unwritten when a slow reader is cut), a throttle window (replaced, fired,
 * cleared at close) and a behind subscriber's conflation map (replaced, drained, dropped on
 * close). Netty's leak detector runs at its paranoid level for the whole test, so a buffer that is
 * garbage collected without its last release is reported; each path is first shown to have run
 * (by the hub's own counters), then the gateways are closed and the detector is asked.
 */
class EventReferenceLeakTest {

    private final List<String> leaks = new CopyOnWriteArrayList<>();
    private ResourceLeakDetector.Level previousLevel;
    private ResourceLeakDetector<?> detector;

    @BeforeEach
    void paranoid() throws Exception {
        previousLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
        f.setAccessible(true);
        detector = (ResourceLeakDetector<?>) f.get(null);
        // The detector is the JVM's: it also reports buffers of anything else running in this fork
        // meanwhile (the socket read buffers of other tests' servers and clients, whose release is
        // ChurnLeakTest's subject). This test's subject is the bytes of events, which the hub's
        // encoder creates: those are the leaks it counts.
        detector.setLeakListener((resourceType, records) -> {
            if (records.contains("dev.sluice.hub.SseEncoder")) {
                leaks.add(resourceType + "\n" + records);
            }
        });
    }

    @AfterEach
    void restore() {
        detector.setLeakListener(null);
        ResourceLeakDetector.setLevel(previousLevel);
    }

    @Test
    void everyHolderReleasesWhatItHolds() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).heartbeat(Duration.ZERO).historySize(50)
                .throttle(Map.of("thr", Duration.ofMillis(50))).conflate(List.of("conf"))
                .subscriberBudget(8L << 20).slowClientGrace(Duration.ofMillis(200)))) {
            Hub h = hub.gateway.hub();
            HubStats stats = h.stats();

            // Throttle windows: replaced inside the window, fired when it closes.
            try (SseStream throttled = hub.subscribe("topic=thr")) {
                for (int i = 0; i < 200; i++) {
                    h.accept(update("thr-" + i, "thr", 100));
                }
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "thr-199".equals(throttled.reader.lastEventId()));
            }
            assertThat(stats.throttled()).as("throttle windows replaced held updates").isPositive();

            // Conflation: a reader that does not read falls behind; its conflated topic is held and
            // replaced, then drained when it reads again. A second one is reset while holding.
            try (Socket draining = rawSubscriber(hub, "conf&topic=plain"); Socket dropped = rawSubscriber(hub, "conf&topic=plain")) {
                // Plain updates fill the kernel's buffers and then Netty's past the write watermark
                // (the budget is far above that); from then on conflated updates are held.
                String lastConf = null;
                for (int i = 0; i < 4_000 && stats.conflated() == 0; i++) {
                    h.accept(update("plain-" + i, "plain", 8 * 1024));
                    for (int j = 0; j < 3; j++) {
                        lastConf = "conf-" + i + "-" + j;
                        h.accept(update(lastConf, "conf", 200));
                    }
                    Thread.sleep(1);
                }
                assertThat(stats.conflated()).as("held conflated updates were replaced").isPositive();
                dropped.setSoLinger(true, 0);
                dropped.close();
                readUntil(draining.getInputStream(), "id: " + lastConf + "\n");
            }
            assertThat(stats.slowDisconnects()).as("nobody was cut loose while conflating").isZero();

            // Outbound queue dropped unwritten: a reader that never reads is cut loose over budget.
            try (Socket stalled = rawSubscriber(hub, "plain")) {
                long slowBefore = stats.slowDisconnects();
                for (int i = 0; i < 4_000 && stats.slowDisconnects() == slowBefore; i++) {
                    h.accept(update("flood-" + i, "plain", 16 * 1024));
                    Thread.sleep(1);
                }
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> stats.slowDisconnects() > slowBefore);
            }

            // History eviction, and a throttle window left pending at close.
            for (int i = 0; i < 200; i++) {
                h.accept(update("evict-" + i, "nobody", 100));
            }
            assertThat(stats.historyCount()).isEqualTo(50);
            h.accept(update("thr-last-a", "thr", 100));
            h.accept(update("thr-last-b", "thr", 100));
        }

        // The dispatch inbox: a tiny one refuses and discards; its subscribers catch up from history.
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).heartbeat(Duration.ZERO).maxDispatchQueue(2))) {
            Hub h = hub.gateway.hub();
            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                streams.add(hub.subscribe("topic=o"));
            }
            for (int i = 0; i < 2_000; i++) {
                h.accept(update("o-" + i, "o", 300));
            }
            assertThat(h.stats().dispatchRefused()).as("the inbox refused events").isPositive();
            for (SseStream s : streams) {
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> "o-1999".equals(s.reader.lastEventId()));
                s.close();
            }
        }

        // Leaks are reported when the detector next tracks a buffer after the garbage is collected.
        for (int round = 0; round < 5 && leaks.isEmpty(); round++) {
            System.gc();
            Thread.sleep(100);
            for (int i = 0; i < 64; i++) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                b.release();
            }
        }
        assertThat(leaks).as("buffers garbage collected without their last release").isEmpty();
    }

    private static Update update(String id, String topic, int size) {
        return new Update(id, List.of(topic), "x".repeat(size), false, null, -1);
    }

    /** A subscriber on a raw socket with a small receive buffer, reading only its response head. */
    private static Socket rawSubscriber(TestHub hub, String topics) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()), 5000);
        s.setSoTimeout(20_000);
        s.getOutputStream().write(("GET /.well-known/mercure?topic=" + topics + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        readUntil(s.getInputStream(), "\n\n");
        return s;
    }

    private static void readUntil(InputStream in, String end) throws Exception {
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            if (sb.indexOf(end) >= 0) {
                return;
            }
            if (sb.length() > (1 << 16)) {
                sb.delete(0, sb.length() - end.length());
            }
        }
        throw new AssertionError("stream ended before '" + end.trim() + "'");
    }
}
