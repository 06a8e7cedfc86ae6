package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.GatewayProcess;
import dev.sluice.support.TestHub;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests the HTTP layer cannot take, sent as raw bytes (and with curl) to a gateway process:
 * each gets a status and a plain-text message saying what was wrong, the gateway logs one WARN
 * line for it and never a stack trace, and it keeps serving. The process's own output is the log
 * that is checked, exactly as an operator would read it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MalformedRequestTest {

    static GatewayProcess gateway;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        gateway = GatewayProcess.launch(List.of(), "memory", "--max-body-size", "4KiB");
        port = gateway.awaitPort();
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static String get(String target, String... headers) {
        StringBuilder sb = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: x\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("Connection: close\r\n\r\n").toString();
    }

    private static String publishHead(String... headers) {
        StringBuilder sb = new StringBuilder("POST /.well-known/mercure HTTP/1.1\r\nHost: x\r\n")
                .append("Authorization: Bearer ").append(TestHub.publisher()).append("\r\n")
                .append("Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    private static String publish(String body) {
        return publishHead("Content-Length: " + body.length()) + body;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("bad escape in the hub path", get("/.well-known/mercure%zz?topic=x"), 400,
                        "'%zz' at index 20 is not a percent-escape"),
                Arguments.of("bad escape in another path", get("/foo%zz"), 400, "'%zz' at index 4 is not a percent-escape"),
                Arguments.of("truncated escape", get("/%"), 400, "'%' at index 1 is not a percent-escape"),
                Arguments.of("bad escape in the query", get("/.well-known/mercure?topic=%zz"), 400, "index 27"),
                Arguments.of("escapes that are not UTF-8", get("/.well-known/mercure?topic=%C3%28"), 400,
                        "do not decode to UTF-8"),
                Arguments.of("raw bytes that are not ASCII", "GET /.well-known/mercure?topic=\u00c3( HTTP/1.1\r\n"
                        + "Host: x\r\nConnection: close\r\n\r\n", 400, "is not ASCII"),
                Arguments.of("not HTTP at all", "THIS IS NOT HTTP\r\n\r\n", 400, "Malformed HTTP request"),
                Arguments.of("HTTP/2.0 request line", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/2.0"),
                Arguments.of("request line too long", get("/healthz?x=" + "a".repeat(9000)), 414,
                        "longer than 8192 bytes"),
                Arguments.of("headers too large", get("/healthz", "X-Big: " + "a".repeat(20_000)), 431,
                        "larger than 16384 bytes"),
                Arguments.of("header line without a colon", get("/healthz", "no colon here"), 400,
                        "Malformed HTTP request"),
                Arguments.of("header name with a space", get("/healthz", "Ba d: x"), 400, "header name"),
                Arguments.of("Content-Length not a number", get("/healthz", "Content-Length: abc"), 400,
                        "Content-Length"),
                Arguments.of("Content-Length with chunked", publishHead("Content-Length: 3",
                        "Transfer-Encoding: chunked") + "0\r\n\r\n", 400, "Transfer-Encoding"),
                Arguments.of("bad chunk size", publishHead("Transfer-Encoding: chunked") + "zz\r\nabc\r\n0\r\n\r\n",
                        400, "chunk size"),
                Arguments.of("chunked body over the limit", publishHead("Transfer-Encoding: chunked")
                        + "1400\r\n" + "a".repeat(0x1400) + "\r\n0\r\n\r\n", 413, "4096 bytes (--max-body-size)"),
                Arguments.of("Content-Length over the limit", publishHead("Content-Length: 5000"), 413,
                        "4096 bytes (--max-body-size)"),
                Arguments.of("Expect: 100-continue over the limit", publishHead("Content-Length: 5000",
                        "Expect: 100-continue"), 413, "(Content-Length: 5000) is larger than 4096 bytes"),
                Arguments.of("unknown expectation", publishHead("Content-Length: 7", "Expect: teapot") + "topic=a",
                        417, "Expect: teapot"),
                Arguments.of("form body not UTF-8", publishHead("Content-Length: 7") + "topic=\u00ff", 400,
                        "not valid UTF-8"),
                Arguments.of("form escape not UTF-8", publish("topic=a&data=%FF"), 400, "do not decode to UTF-8"),
                Arguments.of("form escape malformed", publish("topic=a&data=%zz"), 400, "'%zz' at index 13"));
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void answeredWithAStatusAMessageAndOneLogLine(String name, String request, int status, String message)
            throws Exception {
        String[] answer = send(request);
        assertThat(answer[0]).as("status line").startsWith("HTTP/1.1 " + status + " ");
        assertThat(answer[1]).as("content type").containsIgnoringCase("content-type: text/plain");
        assertThat(answer[2]).as("message").contains(message);
        awaitLog("answered " + status + ": " + answer[2].strip());
    }

    @Order(2)
    @Test
    void curlWithALargeBodyGetsThe413Message(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
        Path body = dir.resolve("body");
        Files.writeString(body, "topic=a&data=" + "x".repeat(10_000));
        // curl sends Expect: 100-continue by itself only for bodies over 1 MiB; ask for it here.
        Process curl = new ProcessBuilder("/usr/bin/curl", "-s", "-S", "-H", "Expect: 100-continue",
                "-H", "Authorization: Bearer " + TestHub.publisher(),
                "-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", "@" + body,
                "-w", "\n%{http_code}", "http://127.0.0.1:" + port + "/.well-known/mercure")
                .redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor()).as(out).isZero();
        assertThat(out).contains("is larger than 4096 bytes (--max-body-size)").endsWith("\n413");
        awaitLog("answered 413: The request body (Content-Length: 10013)");
    }

    @Order(3)
    @Test
    void stillServingAndNoStackTraceWasLogged() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(gateway.hubUrl())
                .header("Authorization", "Bearer " + TestHub.publisher())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("topic=a&data=fine")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        // The one event loop logs in order: once this last line is out, so is everything before it.
        send(get("/last%Z9"));
        awaitLog("'%Z9' at index 5");
        String log = gateway.output();
        assertThat(log.lines().filter(l -> l.contains(" WARN ")))
                .allMatch(l -> l.contains("bad request from /127.0.0.1:"), "every WARN line is a bad-request line");
        assertThat(log).doesNotContain("\tat ").doesNotContain("Exception").doesNotContain(" ERROR ");
    }

    /** Sends raw bytes (ISO-8859-1, so every char is one byte); returns status line, head, body. */
    private static String[] send(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.getInputStream().transferTo(got);
            String answer = got.toString(StandardCharsets.UTF_8);
            int headEnd = answer.indexOf("\r\n\r\n");
            assertThat(headEnd).as("a complete response head in: " + answer).isPositive();
            return new String[] {answer.substring(0, answer.indexOf("\r\n")), answer.substring(0, headEnd),
                    answer.substring(headEnd + 4)};
        }
    }

    private static void awaitLog(String text) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> gateway.output().contains(text));
    }
}
