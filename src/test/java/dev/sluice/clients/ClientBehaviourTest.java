package dev.sluice.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.browser.Chromium;
import dev.sluice.support.NodeClients;
import dev.sluice.support.NodeClients.Client;
import dev.sluice.support.RawSseServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What independent SSE clients do with edge cases of the format, probed against a byte-exact
 * raw-socket server (this tests the clients, and records what Sluice may rely on; the table in
 * the README's "Clients" section is this test's findings).
 *
 * <p>The first stream sends a {@code retry:}-only block, an {@code id:}-only block, a comment
 * block, an event without id, then an event whose id is {@code café} or {@code ид-🎉-1}, and
 * ends. A client that reconnects gets {@code data: reconnected}; the server keeps the raw bytes
 * of the {@code Last-Event-ID} header it sent.
 */
class ClientBehaviourTest {

    static final String FIRST = "retry: 200\n\n"
            + "id: only-id\n\n"
            + ": a comment\n\n"
            + "data: after-id-only\n\n"
            + "id: %s\ndata: with-id\n\n";
    static final String LATER = "data: reconnected\n\n";

    /** What one client did. */
    record Seen(List<String> events, List<byte[]> lastEventIds, String note) {
        boolean reconnected() {
            return events.stream().anyMatch(e -> e.startsWith("message|reconnected|"));
        }

        String sentAsHex() {
            return lastEventIds.size() < 2 || lastEventIds.get(1) == null ? "(no reconnect request)"
                    : HexFormat.ofDelimiter(" ").formatHex(lastEventIds.get(1));
        }
    }

    static Seen node(Client client, String id, String... extra) throws Exception {
        return nodeOn(FIRST.formatted(id), client, extra);
    }

    static Seen nodeOn(String first, Client client, String... extra) throws Exception {
        try (RawSseServer server = new RawSseServer(first, LATER)) {
            List<String> args = new ArrayList<>(List.of("--stop-on-data", "reconnected", "--max-errors", "3"));
            args.addAll(List.of(extra));
            try (NodeClients.Run run = NodeClients.start(client, server.url("/sse"), 0, Duration.ofSeconds(10),
                    args.toArray(String[]::new))) {
                JsonNode done = run.awaitDone();
                List<String> errors = run.lines("error").stream().map(l -> l.path("message").asText()).toList();
                return new Seen(run.events(), server.streamRequests().stream()
                        .map(r -> r.headerBytes("Last-Event-ID")).toList(),
                        done.path("reason").asText() + " " + errors);
            }
        }
    }

    static Seen chromium(String id) throws Exception {
        return chromiumOn(FIRST.formatted(id));
    }

    static Seen chromiumOn(String first) throws Exception {
        var binary = Chromium.require();
        try (RawSseServer server = new RawSseServer(first, LATER);
             Chromium browser = new Chromium(binary, server.url("/").toString())) {
            browser.openEventSource("p", "/sse");
            JsonNode got = browser.eval("""
                    new Promise(resolve => {
                      const started = Date.now();
                      const check = () => {
                        const got = window.p;
                        if (got.events.some(e => e.data === 'reconnected') || Date.now() - started > 10000) resolve(got);
                        else setTimeout(check, 20);
                      };
                      check();
                    })""", Duration.ofSeconds(15));
            List<String> events = new ArrayList<>();
            got.path("events").forEach(e -> events.add(e.path("type").asText() + "|" + e.path("data").asText() + "|"
                    + e.path("id").asText()));
            browser.closeEventSource("p");
            return new Seen(events, server.streamRequests().stream().map(r -> r.headerBytes("Last-Event-ID")).toList(),
                    "errors=" + got.path("errors").asInt());
        }
    }

    static void print(String client, String id, Seen seen) {
        System.out.printf("%-20s id=%-10s reconnected=%-5s Last-Event-ID bytes: %s%n    events: %s%n    %s%n",
                client, id, seen.reconnected(), seen.sentAsHex(), seen.events(), seen.note());
    }

    static String hex(String s, java.nio.charset.Charset cs) {
        return HexFormat.ofDelimiter(" ").formatHex(s.getBytes(cs));
    }

    /** The events every spec-following client dispatches from FIRST: the blocks without data fire nothing. */
    static List<String> specEvents(String id) {
        return List.of("message|after-id-only|only-id", "message|with-id|" + id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1"})
    void chromiumEventSource(String id) throws Exception {
        Seen seen = chromium(id);
        print("chromium", id, seen);
        assertThat(seen.events()).as("id-only, retry-only and comment blocks fire nothing; an id-only block sets"
                + " lastEventId").startsWith(specEvents(id).toArray(String[]::new));
        assertThat(seen.reconnected()).isTrue();
        assertThat(seen.sentAsHex()).as("Last-Event-ID is sent as UTF-8").isEqualTo(hex(id, StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1"})
    void npmEventsource(String id) throws Exception {
        Seen seen = node(Client.EVENTSOURCE, id);
        print("eventsource", id, seen);
        // Its MessageEvent.lastEventId is the event's own id (empty when the block has none), and
        // an id-only block is dropped (see idOnlyBlockBeforeTheStreamEnds).
        assertThat(seen.events()).startsWith("message|after-id-only|", "message|with-id|" + id);
        expectFetchHeaderRules(id, seen);
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1"})
    void undiciEventSource(String id) throws Exception {
        Seen seen = node(Client.UNDICI, id);
        print("undici", id, seen);
        assertThat(seen.events()).startsWith(specEvents(id).toArray(String[]::new));
        expectFetchHeaderRules(id, seen);
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1"})
    void fetchEventSource(String id) throws Exception {
        Seen seen = node(Client.FETCH_EVENT_SOURCE, id);
        print("fetch-event-source", id, seen);
        // Unlike EventSource it dispatches every block, also those without data: the retry-only,
        // id-only and comment blocks each fire an empty message (so does every heartbeat comment),
        // and a message's id is its own block's, not the last one seen.
        assertThat(seen.events()).startsWith("message||", "message||only-id", "message||",
                "message|after-id-only|", "message|with-id|" + id);
        expectFetchHeaderRules(id, seen);
    }

    @ParameterizedTest
    @ValueSource(strings = {"café"})
    void fetchEventSourceNeedsBrowserGlobalsOnNode(String id) throws Exception {
        Seen seen = node(Client.FETCH_EVENT_SOURCE, id, "--no-dom-shim");
        print("fetch-event-source (no window/document)", id, seen);
        assertThat(seen.events()).as("the first stream is read").contains("message|with-id|" + id);
        assertThat(seen.reconnected()).as("but the end of the stream throws").isFalse();
        assertThat(seen.note()).contains("is not defined");
    }

    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1"})
    void eventsourceParserSeesEveryField(String id) throws Exception {
        Seen seen = node(Client.PARSER, id);
        print("eventsource-parser", id, seen);
        // A parser, not a client: no sticky lastEventId (the event's own id field), no reconnect.
        assertThat(seen.events()).containsExactly("message|after-id-only|", "message|with-id|" + id);
    }

    /**
     * The JDK HttpClient refuses header values with characters above U+00FF and writes the others
     * as US-ASCII: every non-ASCII character becomes '?', also UTF-8 bytes passed one char each.
     */
    @ParameterizedTest
    @ValueSource(strings = {"café", "ид-🎉-1"})
    void jdkHttpClientSendsQuestionMarksForNonAsciiHeaderCharacters(String id) throws Exception {
        try (RawSseServer server = new RawSseServer("", LATER)) {
            var http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            for (String value : List.of(id, new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1))) {
                if (!value.chars().allMatch(c -> c <= 0xFF)) {
                    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
                            java.net.http.HttpRequest.newBuilder(server.url("/sse")).header("Last-Event-ID", value));
                    continue;
                }
                http.send(java.net.http.HttpRequest.newBuilder(server.url("/sse")).header("Last-Event-ID", value)
                        .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream())
                        .body().close();
            }
            assertThat(server.streamRequests()).hasSize(id.chars().allMatch(c -> c <= 0xFF) ? 2 : 1);
            for (var req : server.streamRequests()) {
                String sent = new String(req.headerBytes("Last-Event-ID"), StandardCharsets.ISO_8859_1);
                System.out.println("jdk HttpClient       id=" + id + " sent " + sent);
                assertThat(sent).doesNotContainPattern("[^\\x20-\\x7e]").contains("?");
            }
        }
    }

    /**
     * A stream whose last block is {@code id:} alone, then ends: which id does the client send
     * back? (A hub that starts every stream with such a block relies on the answer.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"chromium", "eventsource", "undici", "fetch-event-source"})
    void idOnlyBlockBeforeTheStreamEnds(String client) throws Exception {
        String first = "retry: 200\n\nid: first\ndata: one\n\nid: only-id\n\n";
        Seen seen = client.equals("chromium") ? chromiumOn(first)
                : nodeOn(first, java.util.Arrays.stream(Client.values()).filter(c -> c.arg.equals(client)).findFirst().orElseThrow());
        print(client, "only-id", seen);
        assertThat(seen.reconnected()).isTrue();
        String sent = new String(seen.lastEventIds().get(1), StandardCharsets.UTF_8);
        if (client.equals("eventsource")) {
            assertThat(sent).as("eventsource drops an id-only block: it resumes from the last event's id").isEqualTo("first");
        } else {
            assertThat(sent).isEqualTo("only-id");
        }
    }

    /**
     * Clients built on fetch send Last-Event-ID as a ByteString: characters up to U+00FF go out as
     * one byte each (ISO-8859-1, not UTF-8); anything above cannot be sent, and every reconnect fails.
     */
    static void expectFetchHeaderRules(String id, Seen seen) {
        if (id.chars().allMatch(c -> c <= 0xFF)) {
            assertThat(seen.reconnected()).isTrue();
            assertThat(seen.sentAsHex()).as("sent as ISO-8859-1").isEqualTo(hex(id, StandardCharsets.ISO_8859_1));
        } else {
            assertThat(seen.reconnected()).as("cannot send the header, so never reconnects").isFalse();
            assertThat(seen.lastEventIds()).as("no reconnect request reaches the server").hasSize(1);
        }
    }
}
