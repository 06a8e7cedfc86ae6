package dev.sluice.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.browser.Chromium;
import dev.sluice.support.NodeClients;
import dev.sluice.support.NodeClients.Client;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fresh subscribers (no event received yet) and one update of {@code --max-body-size} bytes,
 * larger than the subscriber budget, followed by small ones: every subscriber must get every
 * update exactly once, in order, over real sockets, with the JDK client, npm eventsource and
 * Chromium's EventSource; and a deliberately slow reader cut loose before its first event must
 * resume to the same sequence.
 *
 * <p>It pins two things: every stream opens with an {@code id:} block carrying its resumable
 * position (a fresh subscriber cut loose has no event id to resume from otherwise), and an update
 * larger than the budget does not cut subscribers whose sockets keep draining.
 *
 * <p>npm eventsource ignores {@code id:} blocks without data (see ClientBehaviourTest), so for it
 * the second promise is what matters: it is never cut loose here.
 */
class LargeUpdateResumeTest {

    static final int MAX_BODY = 256 * 1024;
    static final String TOPIC = "https://example.com/large";

    TestHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = TestHub.start(b -> b.anonymous(true).maxBodySize(MAX_BODY).subscriberBudget(64 * 1024)
                .retry(Duration.ofMillis(200)).slowClientGrace(Duration.ofMillis(500)));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** One update whose publish body is exactly --max-body-size bytes, then five small ones; their ids. */
    List<String> publishLargeThenSmall() throws Exception {
        String prefix = TestHub.form("topic", TOPIC, "data", "");
        String big = "x".repeat(MAX_BODY - prefix.length());
        assertThat(TestHub.form("topic", TOPIC, "data", big)).hasSize(MAX_BODY);
        List<String> ids = new ArrayList<>();
        ids.add(hub.publishOk("topic", TOPIC, "data", big));
        for (int i = 1; i <= 5; i++) {
            ids.add(hub.publishOk("topic", TOPIC, "data", "small " + i));
        }
        return ids;
    }

    String query() {
        return "topic=" + TestHub.q(TOPIC);
    }

    /** An EventSource written with the JDK client: reconnects with the last event ID it saw (id-only blocks too). */
    final class JdkEventSource implements AutoCloseable {
        final List<String> ids = new CopyOnWriteArrayList<>();
        final List<Integer> sizes = new CopyOnWriteArrayList<>();
        volatile int connections;
        volatile boolean open;
        private volatile boolean closed;
        private volatile InputStream body;
        private final Thread thread = Thread.ofVirtual().start(this::run);

        private void run() {
            String last = null;
            while (!closed) {
                try {
                    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(hub.hubUrl + "?" + query()))
                            .header("Accept", "text/event-stream").GET();
                    if (last != null) {
                        r.header("Last-Event-ID", last);
                    }
                    HttpResponse<InputStream> res = hub.http.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
                    body = res.body();
                    connections++;
                    open = true;
                    SseReader reader = new SseReader();
                    Thread parser = Thread.ofVirtual().start(() -> reader.readAll(res.body()));
                    while (!(reader.ended && reader.events.isEmpty())) {
                        SseEvent e = reader.next(50);
                        if (e != null) {
                            ids.add(e.id());
                            sizes.add(e.data().length());
                        }
                    }
                    parser.join();
                    last = reader.lastEventId();
                    Thread.sleep(200);
                } catch (Exception e) {
                    if (closed) {
                        return;
                    }
                }
            }
        }

        @Override
        public void close() throws Exception {
            closed = true;
            InputStream in = body;
            if (in != null) {
                in.close();
            }
            thread.interrupt();
        }
    }

    static void awaitTrue(java.util.function.BooleanSupplier ok, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void fiftyFreshJdkSubscribersGetEveryUpdateOnce() throws Exception {
        List<JdkEventSource> subs = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                subs.add(new JdkEventSource());
            }
            awaitTrue(() -> subs.stream().allMatch(s -> s.open) && hub.gateway.hub().subscribers() >= 50, "50 subscribers");
            List<String> expected = publishLargeThenSmall();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline && !subs.stream().allMatch(s -> s.ids.size() >= expected.size())) {
                Thread.sleep(50);
            }
            Thread.sleep(300); // duplicates, if any, arrive now
            report("jdk", subs.stream().map(s -> List.copyOf(s.ids)).toList(), expected,
                    subs.stream().map(s -> s.connections).toList());
            for (JdkEventSource s : subs) {
                assertThat(s.ids).as("every update exactly once, in order").isEqualTo(expected);
            }
            assertThat(subs.get(0).sizes.get(0)).isEqualTo(MAX_BODY - TestHub.form("topic", TOPIC, "data", "").length());
            // Their sockets kept draining: nobody was cut loose, however large the update.
            assertThat(subs).extracting(s -> s.connections).as("connections per subscriber").containsOnly(1);
            assertThat(hub.gateway.hub().stats().slowDisconnects()).isZero();
        } finally {
            for (JdkEventSource s : subs) {
                s.close();
            }
        }
    }

    @Test
    void slowJdkReaderCutLooseBeforeItsFirstEventResumes() throws Exception {
        // A raw socket that reads nothing until the hub has cut it loose, then reads what it was
        // sent and resumes as an EventSource would, with the last event ID of that stream.
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.setSoTimeout(30_000);
            slow.connect(new java.net.InetSocketAddress("127.0.0.1", hub.gateway.port()));
            OutputStream out = slow.getOutputStream();
            out.write(("GET /.well-known/mercure?" + query() + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            awaitTrue(() -> hub.gateway.hub().subscribers() >= 1, "the slow subscriber");
            // It reads its response head and the opening block (the stream's position), then
            // nothing more: it is cut loose before it has read any event, and what the hub had
            // sent is never read (the connection is dropped), as for a client that stalled.
            byte[] raw = readOpening(slow.getInputStream());
            List<String> expected = new ArrayList<>(publishLargeThenSmall());
            // Socket buffers may hold a lot: add large updates (bounded) until the hub gives up on it.
            String big = "y".repeat(MAX_BODY - TestHub.form("topic", TOPIC, "data", "").length());
            for (int i = 0; i < 64 && hub.gateway.hub().subscribers() > 0; i++) {
                Thread.sleep(50);
                if (hub.gateway.hub().subscribers() > 0) {
                    expected.add(hub.publishOk("topic", TOPIC, "data", big));
                }
            }
            awaitTrue(() -> hub.gateway.hub().subscribers() == 0, "the slow subscriber to be cut loose");
            int headEnd = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
            assertThat(headEnd).as("a response head").isPositive();
            SseReader first = new SseReader();
            first.readAll(new java.io.ByteArrayInputStream(dechunk(raw, headEnd + 4)));
            List<String> got = new ArrayList<>();
            for (SseEvent e; (e = first.next(0)) != null; ) {
                got.add(e.id());
            }
            String last = first.lastEventId();
            System.out.println("slow reader: cut loose after " + got.size() + " events of " + expected.size()
                    + " published, last event ID " + last);
            String[] headers = last == null ? new String[0] : new String[] {"Last-Event-ID", last};
            try (var s = hub.subscribe(query(), headers)) {
                while (got.size() < expected.size()) {
                    SseEvent e = s.poll(Duration.ofSeconds(5));
                    if (e == null) {
                        break;
                    }
                    got.add(e.id());
                }
                SseEvent extra = s.poll(Duration.ofMillis(300));
                if (extra != null) {
                    got.add(extra.id());
                }
            }
            assertThat(first.lastEventId()).as("the position the stream opened with").isEqualTo("earliest");
            report("jdk slow reader", List.of(got), expected, List.of(2));
            assertThat(got).as("every update exactly once, in order").isEqualTo(expected);
        }
    }

    /** The bytes up to the end of the opening block (its chunk's closing CRLF included), read one at a time. */
    static byte[] readOpening(java.io.InputStream in) throws java.io.IOException {
        var out = new java.io.ByteArrayOutputStream();
        byte[] end = "\n\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        int c;
        while ((c = in.read()) != -1) {
            out.write(c);
            byte[] b = out.toByteArray();
            if (b.length >= end.length && indexOf(b, end, b.length - end.length) >= 0) {
                return b;
            }
        }
        throw new AssertionError("the stream ended before its opening block");
    }

    static int indexOf(byte[] a, byte[] b, int from) {
        outer:
        for (int i = from; i <= a.length - b.length; i++) {
            for (int j = 0; j < b.length; j++) {
                if (a[i + j] != b[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The body of a chunked response (sizes dropped); a chunk cut off by the end of the connection is kept as far as it got. */
    static byte[] dechunk(byte[] b, int from) {
        var out = new java.io.ByteArrayOutputStream();
        byte[] crlf = {'\r', '\n'};
        int i = from;
        while (true) {
            int eol = indexOf(b, crlf, i);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(new String(b, i, eol - i, StandardCharsets.ISO_8859_1).trim(), 16);
            int start = eol + 2;
            int n = Math.min(size, b.length - start);
            if (size == 0 || n <= 0) {
                break;
            }
            out.write(b, start, n);
            if (n < size) {
                break;
            }
            i = start + size + 2;
        }
        return out.toByteArray();
    }

    @Test
    void fiftyFreshNpmEventsourceSubscribersGetEveryUpdateOnce() throws Exception {
        List<String> expected;
        try (NodeClients.Run run = NodeClients.start(Client.EVENTSOURCE, URI.create(hub.hubUrl + "?" + query()),
                50 * 6, Duration.ofSeconds(20), "--connections", "50")) {
            awaitTrue(() -> run.lines("open").size() >= 50, "50 EventSources open");
            expected = publishLargeThenSmall();
            run.awaitDone();
            Map<Integer, List<String>> byConn = new TreeMap<>();
            for (JsonNode l : run.lines("event")) {
                byConn.computeIfAbsent(l.path("conn").asInt(), k -> new ArrayList<>()).add(l.path("lastEventId").asText());
            }
            report("npm eventsource", new ArrayList<>(byConn.values()), expected,
                    List.of(run.lines("open").size()));
            assertThat(byConn).hasSize(50);
            for (List<String> got : byConn.values()) {
                assertThat(got).as("every update exactly once, in order").isEqualTo(expected);
            }
        }
    }

    @Test
    void freshChromiumEventSourcesGetEveryUpdateOnce() throws Exception {
        var binary = Chromium.require();
        try (Chromium browser = new Chromium(binary, "http://127.0.0.1:" + hub.gateway.port() + "/healthz")) {
            for (int i = 0; i < 6; i++) {
                browser.openEventSource("c" + i, "/.well-known/mercure?" + query());
            }
            List<String> expected = publishLargeThenSmall();
            List<List<String>> all = new ArrayList<>();
            List<Integer> opens = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                JsonNode got;
                try {
                    got = browser.awaitEvents("c" + i, expected.size(), Duration.ofSeconds(10));
                } catch (AssertionError e) {
                    got = browser.state("c" + i);
                }
                List<String> ids = new ArrayList<>();
                got.path("events").forEach(e -> ids.add(e.path("id").asText()));
                all.add(ids);
                opens.add(got.path("opens").asInt());
            }
            report("chromium", all, expected, opens);
            for (List<String> ids : all) {
                assertThat(ids).as("every update exactly once, in order").isEqualTo(expected);
            }
            assertThat(opens).as("opens per EventSource: nobody was cut loose").containsOnly(1);
        }
    }

    /** Prints what each subscriber got, relative to what was published, so a failure explains itself. */
    static void report(String client, List<List<String>> got, List<String> expected, List<Integer> connections) {
        int complete = 0;
        Map<String, Integer> shapes = new TreeMap<>();
        for (List<String> ids : got) {
            if (ids.equals(expected)) {
                complete++;
            }
            StringBuilder shape = new StringBuilder();
            for (String id : ids) {
                int at = expected.indexOf(id);
                shape.append(at == 0 ? "L" : at > 0 ? "s" + at : "?").append(' ');
            }
            shapes.merge(shape.toString().trim(), 1, Integer::sum);
        }
        System.out.println(client + ": " + complete + "/" + got.size() + " got every update once in order (L = the large"
                + " update, sN = small N); sequences seen: " + shapes + "; connections: " + connections);
    }
}
