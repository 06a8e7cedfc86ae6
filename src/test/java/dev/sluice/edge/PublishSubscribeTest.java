package dev.sluice.edge;

import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import com.launchdarkly.eventsource.ConnectStrategy;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.MessageEvent;
import com.launchdarkly.eventsource.StreamEvent;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/** Publish and subscribe over real sockets, on every I/O kind. */
@OnEveryIoKind
class PublishSubscribeTest {

    @Parameter
    IoKind io;

    TestHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = TestHub.start(io, b -> b.anonymous(true));
    }

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void streamHeadersFollowTheSseRules() throws Exception {
        try (SseStream s = hub.subscribe("topic=a")) {
            assertThat(s.response.statusCode()).isEqualTo(200);
            assertThat(s.header("content-type")).isEqualTo("text/event-stream");
            assertThat(s.header("cache-control")).contains("no-cache");
            assertThat(s.header("x-accel-buffering")).isEqualTo("no");
            assertThat(s.header("content-length")).isNull();
            assertThat(s.header("last-event-id")).as("only sent when a resume was asked for").isNull();
            assertThat(s.reader.comments.get()).as("opening comment flushed at once").isPositive();
            assertThat(s.reader.lastRetry).isEqualTo(2000L);
        }
    }

    @Test
    void publicUpdateReachesSubscriberWithIdTypeAndRetry() throws Exception {
        try (SseStream s = hub.subscribe("topic=" + q("https://example.com/books/1"))) {
            String id = hub.publishOk("topic", "https://example.com/books/1", "data", "{\"title\":\"x\"}",
                    "type", "book-updated", "retry", "1234");
            assertThat(id).startsWith("urn:uuid:");
            assertThat(id.substring(9)).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            assertThat(s.next()).isEqualTo(new SseEvent(id, "book-updated", "{\"title\":\"x\"}", 1234L));
        }
    }

    @Test
    void multiLineDataArrivesLineByLine() throws Exception {
        try (SseStream s = hub.subscribe("topic=m")) {
            hub.publishOk("topic", "m", "data", "one\ntwo\r\nthree\rfour\n\nsix\r\n");
            // every line break becomes LF; the trailing one stays as an empty last line
            assertThat(s.next().data()).isEqualTo("one\ntwo\nthree\nfour\n\nsix\n");
            hub.publishOk("topic", "m", "data", "ünïcødé ✓ \uD83D\uDE80");
            assertThat(s.next().data()).isEqualTo("ünïcødé ✓ \uD83D\uDE80");
        }
    }

    @Test
    void emptyDataIsStillAnEvent() throws Exception {
        try (SseStream s = hub.subscribe("topic=e")) {
            String id1 = hub.publishOk("topic", "e", "data", "");
            String id2 = hub.publishOk("topic", "e");
            assertThat(s.take(2)).extracting(SseEvent::id, SseEvent::data)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(id1, ""), org.assertj.core.groups.Tuple.tuple(id2, ""));
        }
    }

    @Test
    void selectorsExactTemplateAndWildcard() throws Exception {
        try (SseStream exact = hub.subscribe("topic=" + q("https://example.com/books/1"));
             SseStream template = hub.subscribe("topic=" + q("https://example.com/books/{id}"));
             SseStream all = hub.subscribe("topic=*");
             SseStream other = hub.subscribe("topic=" + q("https://example.com/authors/{id}"))) {
            String a = hub.publishOk("topic", "https://example.com/books/1", "data", "a");
            String b = hub.publishOk("topic", "https://example.com/books/2", "data", "b");
            String c = hub.publishOk("topic", "https://example.com/books/2/reviews", "data", "c");
            assertThat(exact.next().id()).isEqualTo(a);
            assertThat(template.take(2)).extracting(SseEvent::id).containsExactly(a, b);
            assertThat(all.take(3)).extracting(SseEvent::id).containsExactly(a, b, c);
            // Nothing else on its way: an update every one of them matches, published last, is
            // the next event of each.
            String marker = hub.publishOk("topic", "https://example.com/books/1", "topic", "https://example.com/authors/1",
                    "data", "marker");
            for (SseStream s : List.of(exact, template, all, other)) {
                assertThat(s.next().id()).isEqualTo(marker);
            }
        }
    }

    @Test
    void severalTopicsAndAlternatesAreDeliveredOnce() throws Exception {
        try (SseStream s = hub.subscribe("topic=a&topic=b&topic=*&topic=" + q("{x}"))) {
            String one = hub.publishOk("topic", "a", "topic", "b", "data", "1");
            String two = hub.publishOk("topic", "c", "topic", "b", "data", "2");
            assertThat(s.take(2)).extracting(SseEvent::id).containsExactly(one, two);
            String marker = hub.publishOk("topic", "a", "data", "marker");
            assertThat(s.next().id()).as("matched by several selectors, still once").isEqualTo(marker);
        }
        try (SseStream alt = hub.subscribe("topic=alt")) {
            String id = hub.publishOk("topic", "canonical", "topic", "alt", "data", "x");
            assertThat(alt.next().id()).isEqualTo(id);
        }
    }

    @Test
    void updatesArriveInPublishOrder() throws Exception {
        try (SseStream s = hub.subscribe("topic=seq")) {
            for (int i = 0; i < 500; i++) {
                hub.publishOk("topic", "seq", "data", Integer.toString(i));
            }
            List<SseEvent> got = s.take(500);
            for (int i = 0; i < 500; i++) {
                assertThat(got.get(i).data()).isEqualTo(Integer.toString(i));
            }
        }
    }

    @Test
    void publisherIdsAreKeptAndMayRepeat() throws Exception {
        try (SseStream s = hub.subscribe("topic=r")) {
            assertThat(hub.publishOk("topic", "r", "id", "rev-1", "data", "a")).isEqualTo("rev-1");
            assertThat(hub.publishOk("topic", "r", "id", "rev-1", "data", "b")).isEqualTo("rev-1");
            assertThat(s.take(2)).extracting(SseEvent::data).containsExactly("a", "b");
        }
    }

    @Test
    void okhttpEventSourceClientReceivesUpdates() throws Exception {
        BlockingQueue<MessageEvent> got = new LinkedBlockingQueue<>();
        EventSource es = new EventSource.Builder(ConnectStrategy.http(
                java.net.URI.create(hub.hubUrl + "?topic=" + q("https://example.com/{x}"))))
                .build();
        try {
            es.start();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    for (StreamEvent e : es.anyEvents()) {
                        if (e instanceof MessageEvent m) {
                            got.add(m);
                        }
                    }
                } catch (RuntimeException ignored) {
                    // closed
                }
            });
            awaitSubscribers(1);
            String id = hub.publishOk("topic", "https://example.com/z", "data", "hello\nworld", "type", "greeting");
            MessageEvent m = got.poll(10, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            assertThat(m.getLastEventId()).isEqualTo(id);
            assertThat(m.getEventName()).isEqualTo("greeting");
            assertThat(m.getData()).isEqualTo("hello\nworld");
            reader.interrupt();
        } finally {
            es.close();
        }
    }

    @Test
    void http10ClientGetsAnUnchunkedStream() throws Exception {
        try (Socket sock = new Socket("127.0.0.1", hub.gateway.port())) {
            sock.setSoTimeout(10_000);
            sock.getOutputStream().write("GET /.well-known/mercure?topic=old HTTP/1.0\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = sock.getInputStream();
            // The opening carries the stream's position: nothing was published yet, so "earliest".
            String head = readUntil(in, ":\nretry: 2000\nid: earliest\n\n");
            assertThat(head).startsWith("HTTP/1.0 200 OK\r\n").doesNotContain("transfer-encoding");
            String id = hub.publishOk("topic", "old", "data", "x");
            assertThat(readUntil(in, "data: x\n\n")).isEqualTo("id: " + id + "\ndata: x\n\n");
        }
    }

    @Test
    void closedSubscribersAreUnregisteredAtOnce() throws Exception {
        SseStream s = hub.subscribe("topic=gone");
        assertThat(hub.gateway.hub().subscribers()).isEqualTo(1);
        s.close();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> hub.gateway.hub().subscribers() == 0);
    }

    private void awaitSubscribers(int n) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> hub.gateway.hub().subscribers() >= n);
    }

    static String readUntil(InputStream in, String end) throws Exception {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            sb.append((char) c);
            if (sb.toString().endsWith(end)) {
                return sb.toString();
            }
        }
        throw new AssertionError("stream ended before '" + end + "': " + sb);
    }
}
