package dev.sluice.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.browser.Chromium;
import dev.sluice.support.NodeClients;
import dev.sluice.support.NodeClients.Client;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resuming after ids outside ASCII. By default such ids are refused at publish time (most
 * non-browser clients could never send them back); with {@code --allow-non-ascii-ids} they are
 * accepted, and every client that can send the id back resumes with exactly the updates it
 * missed: browsers send UTF-8, fetch-based Node clients ISO-8859-1 (characters up to U+00FF only).
 */
class NonAsciiIdResumeTest {

    static TestHub strict;
    static TestHub allowing;

    @BeforeAll
    static void start() throws Exception {
        strict = TestHub.start(b -> b.anonymous(true));
        allowing = TestHub.start(b -> b.anonymous(true).allowNonAsciiIds(true).retry(Duration.ofMillis(200)));
    }

    @AfterAll
    static void stop() {
        if (strict != null) {
            strict.close();
        }
        if (allowing != null) {
            allowing.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1", "tab\there", "del\u007F"})
    void byDefaultANonAsciiIdIsRefusedWithTheFieldAndTheOption(String id) throws Exception {
        HttpResponse<String> res = strict.publish(TestHub.publisher(), TestHub.form("topic", "t", "data", "x", "id", id));
        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(res.body()).contains("'id'").contains("--allow-non-ascii-ids").contains("Last-Event-ID");
        assertThat(strict.publish(TestHub.publisher(), TestHub.form("topic", "t", "data", "x", "id", "plain-ascii_1:~"))
                .statusCode()).isEqualTo(200);
    }

    private static final java.util.concurrent.atomic.AtomicInteger CASES = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * The id with an ASCII suffix of its own: the cases share one hub, and a resume from an id
     * used before continues after its earliest occurrence (Mercure 1.0), another case's included.
     */
    static String unique(String id) {
        return id + "." + CASES.incrementAndGet();
    }

    /** Publishes {@code id} then two more updates; returns the ids of the two. */
    static List<String> publishIdThenTwo(String topic, String id) throws Exception {
        assertThat(allowing.publishOk("topic", topic, "data", "seen", "id", id)).isEqualTo(id);
        return List.of(allowing.publishOk("topic", topic, "data", "missed 1"),
                allowing.publishOk("topic", topic, "data", "missed 2"));
    }

    static List<String> ids(List<SseEvent> events) {
        return events.stream().map(SseEvent::id).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1"})
    void jdkClientResumesWithTheIdInTheQueryParameter(String given) throws Exception {
        String id = unique(given);
        // The JDK HttpClient cannot send the header: it writes '?' for every non-ASCII character
        // (see ClientBehaviourTest). The lastEventID query parameter, percent-encoded UTF-8, works.
        String topic = "query/" + id;
        List<String> missed = publishIdThenTwo(topic, id);
        try (SseStream s = allowing.subscribe("topic=" + TestHub.q(topic) + "&lastEventID=" + TestHub.q(id))) {
            assertThat(ids(s.take(2))).isEqualTo(missed);
            assertThat(s.poll(Duration.ofMillis(300))).isNull();
        }
    }

    /**
     * The Last-Event-ID header as UTF-8 bytes (browsers) or as one byte per character (fetch-based
     * clients, for ids up to U+00FF): both resume after the id; the response header echoes it as
     * UTF-8 bytes.
     */
    @ParameterizedTest
    @ValueSource(strings = {"café UTF-8", "ид-🎉-1 UTF-8", "café ISO-8859-1"})
    void headerBytesResumeExactlyAfterTheId(String idAndCharset) throws Exception {
        String id = unique(idAndCharset.substring(0, idAndCharset.indexOf(' ')));
        var charset = java.nio.charset.Charset.forName(idAndCharset.substring(idAndCharset.indexOf(' ') + 1));
        String topic = "header/" + idAndCharset;
        List<String> missed = publishIdThenTwo(topic, id);
        try (Socket socket = new Socket("127.0.0.1", allowing.gateway.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /.well-known/mercure?topic=" + TestHub.q(topic) + " HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(id.getBytes(charset));
            out.write("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = new String(readHead(in), StandardCharsets.UTF_8);
            assertThat(head).startsWith("HTTP/1.1 200").contains("\r\nlast-event-id: " + id + "\r\n");
            var body = new java.io.ByteArrayOutputStream();
            while (!body.toString(StandardCharsets.UTF_8).contains("data: missed 2\n")) {
                int b = in.read();
                assertThat(b).as("stream ended early: " + body.toString(StandardCharsets.UTF_8)).isNotNegative();
                body.write(b);
            }
            String text = body.toString(StandardCharsets.UTF_8);
            assertThat(text).as("exactly the missed updates").doesNotContain("data: seen")
                    .contains("id: " + missed.get(0)).contains("id: " + missed.get(1));
        }
    }

    static byte[] readHead(InputStream in) throws Exception {
        var buf = new java.io.ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            buf.write(b);
            byte[] a = buf.toByteArray();
            int n = a.length;
            if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
                return a;
            }
        }
        throw new AssertionError("no response head: " + buf);
    }

    /** Ends every stream as a draining or over-budget hub does: the clients reconnect and resume. */
    static void endAllStreams() {
        allowing.gateway.hub().forEachSubscriber(allowing.gateway.hub()::end);
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1"})
    void chromiumResumesWithExactlyTheMissedUpdates(String given) throws Exception {
        String id = unique(given);
        var binary = Chromium.require();
        String topic = "browser/" + id;
        try (Chromium browser = new Chromium(binary, "http://127.0.0.1:" + allowing.gateway.port() + "/healthz")) {
            browser.openEventSource("b", "/.well-known/mercure?topic=" + TestHub.q(topic));
            allowing.publishOk("topic", topic, "data", "seen", "id", id);
            browser.awaitEvents("b", 1, Duration.ofSeconds(10));
            endAllStreams();
            String m1 = allowing.publishOk("topic", topic, "data", "missed 1");
            String m2 = allowing.publishOk("topic", topic, "data", "missed 2");
            JsonNode got = browser.awaitEvents("b", 3, Duration.ofSeconds(10));
            String live = allowing.publishOk("topic", topic, "data", "live");
            got = browser.awaitEvents("b", 4, Duration.ofSeconds(10));
            List<String> ids = new ArrayList<>();
            got.path("events").forEach(e -> ids.add(e.path("id").asText()));
            assertThat(ids).containsExactly(id, m1, m2, live);
            assertThat(got.path("opens").asInt()).as("reconnected once").isEqualTo(2);
            browser.closeEventSource("b");
        }
    }

    /**
     * The Node clients send the id back as ISO-8859-1: they resume after {@code café}; after
     * {@code ид-🎉-1} they cannot build the request and fail every reconnect (why ids are ASCII by
     * default).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"EVENTSOURCE,café", "EVENTSOURCE,ид-🎉-1", "UNDICI,café", "UNDICI,ид-🎉-1",
            "FETCH_EVENT_SOURCE,café", "FETCH_EVENT_SOURCE,ид-🎉-1"})
    void nodeClientsResumeAfterIdsTheyCanSend(Client client, String given) throws Exception {
        String id = unique(given);
        String topic = "node/" + client + "/" + id;
        try (NodeClients.Run run = NodeClients.start(client,
                java.net.URI.create(allowing.hubUrl + "?topic=" + TestHub.q(topic)), 0, Duration.ofSeconds(15),
                "--max-errors", "4", "--stop-on-data", "live")) {
            run.awaitOpen();
            allowing.publishOk("topic", topic, "data", "seen", "id", id);
            run.await(l -> "seen".equals(l.path("data").asText()), "first event");
            endAllStreams();
            String m1 = allowing.publishOk("topic", topic, "data", "missed 1");
            String m2 = allowing.publishOk("topic", topic, "data", "missed 2");
            // fetch-event-source also dispatches blocks without data (the opening block): skip those
            java.util.function.Supplier<List<String>> received = () -> run.lines("event").stream()
                    .filter(l -> !l.path("data").asText().isEmpty())
                    .map(l -> l.path("data").asText() + "|" + l.path("lastEventId").asText()).toList();
            if (id.chars().allMatch(c -> c <= 0xFF)) {
                run.await(l -> l.path("data").asText().equals("missed 2"), "the missed updates");
                String live = allowing.publishOk("topic", topic, "data", "live");
                assertThat(run.awaitDone().path("reason").asText()).isEqualTo("stop-on-data");
                assertThat(received.get()).containsExactly("seen|" + id, "missed 1|" + m1, "missed 2|" + m2,
                        "live|" + live);
            } else {
                JsonNode done = run.awaitDone();
                assertThat(done.path("reason").asText()).isEqualTo("errors");
                assertThat(received.get()).containsExactly("seen|" + id);
                if (client != Client.UNDICI) { // undici reports only a bare error event
                    assertThat(run.lines("error").toString()).contains("ByteString");
                }
            }
        }
    }
}
