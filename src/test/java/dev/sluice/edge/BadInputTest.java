package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input gets a 4xx that says what was wrong; the server keeps serving afterwards. */
@OnEveryIoKind
class BadInputTest {

    @Parameter
    IoKind io;

    static TestHub hub;
    static SseStream watcher;

    @BeforeParameterizedClassInvocation
    static void start(IoKind io) throws Exception {
        hub = TestHub.startIfAvailable(io, b -> b.anonymous(true).maxBodySize(4096).maxTopicsPerSubscription(3));
        if (hub != null) {
            watcher = hub.subscribe("topic=*");
        }
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (watcher != null) {
            watcher.close();
            watcher = null;
        }
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }

    /** After every case the hub still publishes and delivers, and nothing bad was delivered. */
    @AfterEach
    void stillServing() throws Exception {
        if (hub == null) {
            return; // the test was skipped: no gateway on this I/O kind here
        }
        String id = hub.publishOk("topic", "alive", "data", "ok");
        assertThat(watcher.next().id()).isEqualTo(id);
    }

    static Stream<Arguments> badPublishes() {
        return Stream.of(
                Arguments.of("id with LF", TestHub.form("topic", "a", "id", "x\nevent: evil"), 400, "'id'"),
                Arguments.of("id with CR", TestHub.form("topic", "a", "id", "x\rdata: evil"), 400, "'id'"),
                Arguments.of("id starting with #", TestHub.form("topic", "a", "id", "#1"), 400, "'#'"),
                Arguments.of("type with LF", TestHub.form("topic", "a", "type", "t\ndata: evil"), 400, "'type'"),
                Arguments.of("type with CR", TestHub.form("topic", "a", "type", "t\r"), 400, "'type'"),
                Arguments.of("retry not digits", TestHub.form("topic", "a", "retry", "10s"), 400, "'retry'"),
                Arguments.of("retry negative", TestHub.form("topic", "a", "retry", "-1"), 400, "'retry'"),
                Arguments.of("retry with LF", TestHub.form("topic", "a", "retry", "1\ndata: x"), 400, "'retry'"),
                Arguments.of("no topic", TestHub.form("data", "x"), 400, "Missing 'topic'"),
                Arguments.of("empty topic", TestHub.form("topic", ""), 400, "Empty 'topic'"),
                Arguments.of("topic too long", TestHub.form("topic", "t".repeat(1025)), 413, "--max-topic-length"),
                Arguments.of("bad escape", "topic=a&data=%zz", 400, "form-urlencoded"),
                Arguments.of("over-size body", TestHub.form("topic", "a", "data", "x".repeat(5000)), 413, "4096 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPublishes")
    void badPublishIsRefused(String name, String body, int status, String reason) throws Exception {
        HttpResponse<String> res = hub.publish(TestHub.publisher(), body);
        assertThat(res.statusCode()).isEqualTo(status);
        assertThat(res.body()).contains(reason);
    }

    @Test
    void wrongContentTypeIs415() throws Exception {
        HttpResponse<String> res = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                .header("Authorization", "Bearer " + TestHub.publisher())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"a\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(415);
        assertThat(res.body()).contains("application/x-www-form-urlencoded");
    }

    @Test
    void invalidUtf8BodyIs400() throws Exception {
        HttpResponse<String> res = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                .header("Authorization", "Bearer " + TestHub.publisher())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'t', 'o', 'p', 'i', 'c', '=', (byte) 0xff}))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(res.body()).contains("UTF-8");
    }

    @Test
    void subscribeWithoutTopicOrWithTooMany() throws Exception {
        HttpResponse<String> none = hub.subscribeRefused("lastEventID=x");
        assertThat(none.statusCode()).isEqualTo(400);
        assertThat(none.body()).contains("Missing 'topic'");
        HttpResponse<String> longSelector = hub.subscribeRefused("topic=" + TestHub.q("{a}".repeat(400)));
        assertThat(longSelector.statusCode()).isEqualTo(400);
        assertThat(longSelector.body()).contains("--max-topic-length");
        HttpResponse<String> many = hub.subscribeRefused("topic=a&topic=b&topic=c&topic=d");
        assertThat(many.statusCode()).isEqualTo(400);
        assertThat(many.body()).contains("at most 3");
        try (Socket s = new Socket("127.0.0.1", hub.gateway.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /.well-known/mercure?topic=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("Malformed URL").contains("%zz");
        }
    }

    @Test
    void unknownPathsAndMethods() throws Exception {
        HttpResponse<String> notFound = hub.http.send(HttpRequest.newBuilder(hub.url("/nope")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.body()).contains("/.well-known/mercure");
        HttpResponse<String> put = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("allow")).hasValue("GET, POST, OPTIONS, QUERY");
        try (Socket s = new Socket("127.0.0.1", hub.gateway.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("BREW /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 405").containsIgnoringCase("allow: GET")
                    .contains("Method BREW is not allowed here; use GET.");
        }
    }

    @Test
    void garbageOnTheSocketGets400AndClose() throws Exception {
        try (Socket s = new Socket("127.0.0.1", hub.gateway.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write("THIS IS NOT HTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 400");
        }
    }

    @Test
    void healthAndMetricsAnswer() throws Exception {
        var health = hub.http.send(HttpRequest.newBuilder(hub.url("/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        var ready = hub.http.send(HttpRequest.newBuilder(hub.url("/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(200);
        var metrics = hub.http.send(HttpRequest.newBuilder(hub.url("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("sluice_subscribers 1.0").contains("sluice_publish_refused_total");
    }

    @Test
    void corsIsOffByDefault() throws Exception {
        HttpResponse<String> res = hub.http.send(HttpRequest.newBuilder(URI.create(hub.hubUrl.toString()))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example")
                .header("Access-Control-Request-Method", "GET").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(204);
        assertThat(res.headers().firstValue("access-control-allow-origin")).isEmpty();
    }
}
