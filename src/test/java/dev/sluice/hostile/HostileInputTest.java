package dev.sluice.hostile;

import static dev.sluice.hostile.RawTokens.b64;
import static dev.sluice.hostile.RawTokens.signedJson;
import static dev.sluice.hostile.RawTokens.signedSegments;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.GatewayProcess;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input, byte for byte, against a gateway process: malformed tokens in every segment,
 * claims of the wrong type, bytes that are not UTF-8 and NULs in every field, broken
 * percent-encoding, repeated and empty parameters, absurd numbers of topics, line breaks in every
 * field that reaches the SSE wire, request-smuggling shapes, pipelined garbage, half-open and
 * half-closed connections, an HTTP/2 preface. Each case asserts the exact answer (status, and a
 * body that says what was wrong) and what becomes of the connection; after each one a plain
 * subscriber still gets a plain publish, and at the end the gateway's log holds no stack trace.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {

    static final String HUB = "/.well-known/mercure";

    static GatewayProcess gateway;
    static int port;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** Subscribed to everything, anonymously: it must see every public update and no private one. */
    static SseReader watcher;
    static HttpResponse<InputStream> watcherResponse;

    @BeforeAll
    static void start() throws Exception {
        gateway = GatewayProcess.launch(List.of("-Xmx256m"), "memory", "--max-body-size", "64KiB");
        port = gateway.awaitPort();
        watcherResponse = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + HUB + "?topic=*"))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(watcherResponse.statusCode()).isEqualTo(200);
        watcher = new SseReader();
        Thread.ofVirtual().start(() -> watcher.readAll(watcherResponse.body()));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> watcher.lastRetry != null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (watcherResponse != null) {
            watcherResponse.body().close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    /** How a case's connection ends. */
    enum Ending {
        /** The answer keeps the connection: a second request on it is answered 200. */
        KEPT,
        /** The answer says {@code Connection: close} and the gateway closes. */
        CLOSED,
        /** A 200 event stream opens; the client's half-close ends it. */
        STREAM,
        /** No answer at all: the gateway closes (used with a half-close by the client). */
        SILENT_CLOSE
    }

    // ---- request builders (strings are ISO-8859-1: one char, one byte) ----

    static String get(String target, String... headers) {
        StringBuilder sb = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: x\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    static String publishWith(String token, String body, String... headers) {
        StringBuilder sb = new StringBuilder("POST " + HUB + " HTTP/1.1\r\nHost: x\r\n");
        if (token != null) {
            sb.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        sb.append("Content-Type: application/x-www-form-urlencoded\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body).toString();
    }

    static String publish(String body, String... headers) {
        return publishWith(TestHub.publisher(), body, headers);
    }

    /** A publish head without a length, for bodies framed by the case itself. */
    static String publishHead(String... headers) {
        StringBuilder sb = new StringBuilder("POST " + HUB + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
                .append(TestHub.publisher()).append("\r\nContent-Type: application/x-www-form-urlencoded\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    static Arguments c(String name, String request, int status, String message, Ending ending) {
        return Arguments.of(name, request, status, message, ending);
    }

    static final String VALID = TestHub.publisher();
    static final String H = VALID.split("\\.")[0];
    static final String P = VALID.split("\\.")[1];
    static final String S = VALID.split("\\.")[2];
    static final String PUBLISH_ALL = "\"mercure\":{\"publish\":[\"*\"]}";

    static Stream<Arguments> tokens() {
        String bad = "Invalid publisher token: ";
        return Stream.of(
                c("signature truncated", publishWith(H + "." + P + "." + S.substring(0, 10), "topic=a"), 401,
                        bad + "signature does not verify with the configured publisher key", Ending.KEPT),
                c("signature empty", publishWith(H + "." + P + ".", "topic=a"), 401,
                        bad + "token has an empty signature", Ending.KEPT),
                c("signature not base64url", publishWith(H + "." + P + ".!!!", "topic=a"), 401,
                        bad + "signature does not verify", Ending.KEPT),
                c("signature of another payload", publishWith(H + "." + b64("{\"mercure\":{\"publish\":[\"*\"]},\"x\":1}")
                        + "." + S, "topic=a"), 401, bad + "signature does not verify", Ending.KEPT),
                c("two segments", publishWith(H + "." + P, "topic=a"), 401,
                        bad + "token is malformed: expected 3 dot-separated parts, found 2", Ending.KEPT),
                c("one segment", publishWith(H, "topic=a"), 401, bad + "token is malformed: not a compact JWT (no dots)",
                        Ending.KEPT),
                c("four segments", publishWith(VALID + ".x", "topic=a"), 401,
                        bad + "token is malformed: expected 3 dot-separated parts, found 4", Ending.KEPT),
                c("only dots", publishWith("..", "topic=a"), 401, bad + "token is malformed: header is not base64url-encoded JSON",
                        Ending.KEPT),
                c("header empty", publishWith("." + P + "." + S, "topic=a"), 401,
                        bad + "token is malformed: header is not base64url-encoded JSON", Ending.KEPT),
                c("header not base64url", publishWith("!!!." + P + "." + S, "topic=a"), 401,
                        bad + "token is malformed: header is not base64url-encoded JSON", Ending.KEPT),
                c("header not JSON", publishWith(signedSegments(b64("hello"), P), "topic=a"), 401,
                        bad + "token is malformed: header is not base64url-encoded JSON", Ending.KEPT),
                c("header a JSON array", publishWith(signedSegments(b64("[\"HS256\"]"), P), "topic=a"), 401,
                        bad + "token is malformed: header is not base64url-encoded JSON", Ending.KEPT),
                c("header truncated JSON", publishWith(signedSegments(b64("{\"alg\":\"HS2"), P), "topic=a"), 401,
                        bad + "token is malformed: header is not base64url-encoded JSON", Ending.KEPT),
                c("header alg a number", publishWith(signedJson("{\"alg\":256}", "{" + PUBLISH_ALL + "}"), "topic=a"),
                        401, bad + "token header has no alg", Ending.KEPT),
                c("header alg none", publishWith(b64("{\"alg\":\"none\"}") + "." + P + ".", "topic=a"), 401,
                        bad + "algorithm none is not accepted", Ending.KEPT),
                c("payload not base64url", publishWith(signedSegments(H, "!!!"), "topic=a"), 401,
                        bad + "token claims are malformed: Payload of JWS object is not a valid JSON object", Ending.KEPT),
                c("payload not JSON", publishWith(signedSegments(H, b64("hello")), "topic=a"), 401,
                        bad + "token claims are malformed: Payload of JWS object is not a valid JSON object", Ending.KEPT),
                c("payload a JSON array", publishWith(signedJson("[1,2]"), "topic=a"), 401,
                        bad + "token claims are malformed: Payload of JWS object is not a valid JSON object", Ending.KEPT),
                c("payload truncated JSON", publishWith(signedJson("{\"mercure\":{\"publish\":[\"*\""), "topic=a"),
                        401, bad + "token claims are malformed", Ending.KEPT),
                c("payload nested 5000 deep", publishWith(signedJson("{" + PUBLISH_ALL + ",\"x\":" + "[".repeat(5000)
                        + "]".repeat(5000) + "}"), "topic=a"), 401, bad + "token claims are malformed", Ending.KEPT),
                c("mercure.publish a string", publishWith(signedJson("{\"mercure\":{\"publish\":\"*\"}}"), "topic=a"),
                        401, bad + "mercure.publish must be an array of strings, found a string", Ending.KEPT),
                c("mercure.publish a number", publishWith(signedJson("{\"mercure\":{\"publish\":1}}"), "topic=a"),
                        401, bad + "mercure.publish must be an array of strings, found a number", Ending.KEPT),
                c("mercure.publish an object", publishWith(signedJson("{\"mercure\":{\"publish\":{\"*\":true}}}"),
                        "topic=a"), 401, bad + "mercure.publish must be an array of strings, found an object", Ending.KEPT),
                c("mercure.publish holds a number", publishWith(signedJson("{\"mercure\":{\"publish\":[\"*\",7]}}"),
                        "topic=a"), 401, bad + "mercure.publish[1] must be a string, found a number", Ending.KEPT),
                c("mercure a string", publishWith(signedJson("{\"mercure\":\"publish\"}"), "topic=a"), 401,
                        bad + "mercure claim must be a JSON object, found a string", Ending.KEPT),
                c("exp a string", publishWith(signedJson("{\"exp\":\"tomorrow\"," + PUBLISH_ALL + "}"), "topic=a"),
                        401, bad + "token claims are malformed: Unexpected type of JSON object member exp", Ending.KEPT),
                c("exp too large to be a time", publishWith(signedJson("{\"exp\":1e300," + PUBLISH_ALL + "}"),
                        "topic=a"), 401, bad + "token exp claim 1.0E300 is out of range", Ending.KEPT),
                c("nbf too large to be a time", publishWith(signedJson("{\"nbf\":1e300," + PUBLISH_ALL + "}"),
                        "topic=a"), 401, bad + "token nbf claim 1.0E300 is out of range", Ending.KEPT),
                c("exp in the past", publishWith(signedJson("{\"exp\":1," + PUBLISH_ALL + "}"), "topic=a"), 401,
                        bad + "token expired at 1970-01-01T00:00:01Z", Ending.KEPT),
                c("valid token, no publish claim", publishWith(TestHub.subscriber("*"), "topic=a"), 403,
                        "The token has no mercure.publish selectors", Ending.KEPT),
                c("valid token, other topics", publishWith(TestHub.token(List.of("https://example.com/other/{x}"),
                        List.of()), "topic=https://example.com/mine"), 403,
                        "This token may not publish to topic 'https://example.com/mine'", Ending.KEPT),
                c("huge claim that fits the head", publishWith(signedJson("{" + PUBLISH_ALL + ",\"mercure_x\":\""
                        + "x".repeat(10_000) + "\"}"), "topic=huge-claim"), 200, "urn:uuid:", Ending.KEPT),
                c("huge claim over the head limit", publishWith(signedJson("{" + PUBLISH_ALL + ",\"x\":\""
                        + "x".repeat(20_000) + "\"}"), "topic=a"), 431, "The request headers are larger than 16384 bytes",
                        Ending.CLOSED),
                c("huge token in the query", get(HUB + "?topic=a&authorization=" + signedJson("{\"x\":\""
                        + "x".repeat(9_000) + "\"}")), 414, "longer than 8192 bytes", Ending.CLOSED),
                c("NUL in the token", publishWith(VALID + "\0", "topic=a"), 400,
                        "Malformed HTTP request: Validation failed for header 'Authorization'", Ending.CLOSED),
                c("token not UTF-8", publishWith("\u00ff\u00fe.\u00ff.\u00ff", "topic=a"), 401,
                        bad + "token is malformed: header is not base64url-encoded JSON", Ending.KEPT),
                c("not a Bearer credential", "POST " + HUB + " HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\n"
                        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\ntopic=a", 401,
                        bad + "Authorization header must use the Bearer scheme", Ending.KEPT),
                c("subscriber: truncated token in the query", get(HUB + "?topic=a&authorization=" + H + "." + P), 401,
                        "Invalid subscriber token: token is malformed: expected 3 dot-separated parts, found 2", Ending.KEPT),
                c("subscriber: garbage cookie", get(HUB + "?topic=a", "Cookie: mercureAuthorization=\u00ff.x.y"),
                        401, "Invalid subscriber token: token is malformed: header is not base64url-encoded JSON",
                        Ending.KEPT),
                c("subscriber: control byte in the cookie", get(HUB + "?topic=a",
                        "Cookie: mercureAuthorization=a.\u0001.b"), 400,
                        "Malformed HTTP request: Validation failed for header 'Cookie'", Ending.CLOSED),
                c("subscriber: mercure.subscribe a string", get(HUB + "?topic=a&authorization="
                        + signedJson("{\"mercure\":{\"subscribe\":\"*\"}}")), 401,
                        "Invalid subscriber token: mercure.subscribe must be an array of strings, found a string",
                        Ending.KEPT));
    }

    static Stream<Arguments> fields() {
        String notUtf8Body = "The body is not valid UTF-8: send the form as UTF-8 text.";
        String notUtf8Escape = "its percent-escapes do not decode to UTF-8 text";
        List<Arguments> cases = new ArrayList<>(List.of(
                c("path: raw byte 0xFF", get(HUB + "\u00ff?topic=a"), 400, "is not ASCII", Ending.KEPT),
                c("path: raw NUL", get(HUB + "\0?topic=a"), 400,
                        "Malformed URL: the byte at index 20 (0x00) is a control character", Ending.KEPT),
                c("path: raw DEL", get("/heal\u007fthz"), 400, "the byte at index 5 (0x7F) is a control character",
                        Ending.KEPT),
                c("path: %00", get("/healthz%00"), 404, "Nothing at /healthz", Ending.KEPT),
                c("path: %FF", get("/healthz%FF"), 400, notUtf8Escape, Ending.KEPT),
                c("path: overlong UTF-8 %C0%AF", get("/.well-known%C0%AFmercure"), 400, notUtf8Escape, Ending.KEPT),
                c("path: %zz", get("/.well-known/mercure%zz?topic=a"), 400,
                        "'%zz' at index 20 is not a percent-escape", Ending.KEPT),
                c("path: lone %", get("/%"), 400, "'%' at index 1 is not a percent-escape", Ending.KEPT),
                c("path: %4 then end of path", get("/%4?x"), 400, "'%4?' at index 1 is not a percent-escape",
                        Ending.KEPT),
                c("path: dot segments are not resolved", get("/.well-known/%2e%2e/.well-known/mercure?topic=a"), 404,
                        "Nothing at /.well-known/../.well-known/mercure", Ending.KEPT),
                c("query: raw byte 0xFF", get(HUB + "?topic=\u00ff"), 400, "is not ASCII", Ending.KEPT),
                c("query: raw NUL", get(HUB + "?topic=a\0b"), 400, "(0x00) is a control character", Ending.KEPT),
                c("query: %FF", get(HUB + "?topic=%FF"), 400, notUtf8Escape, Ending.KEPT),
                c("query: %zz", get(HUB + "?topic=%zz"), 400, "'%zz' at index 27 is not a percent-escape", Ending.KEPT),
                c("query: trailing %", get(HUB + "?topic=a%"), 400, "'%' at index 28 is not a percent-escape",
                        Ending.KEPT),
                c("query: %u0041", get(HUB + "?topic=%u0041"), 400, "'%u0' at index 27 is not a percent-escape",
                        Ending.KEPT),
                c("query: %00 in a topic (a topic like any other)", get(HUB + "?topic=a%00b"), 200, "", Ending.STREAM),
                c("header: value not UTF-8 (Last-Event-ID read as ISO-8859-1)",
                        get(HUB + "?topic=a", "Last-Event-ID: \u00ff\u00fe"), 200, "", Ending.STREAM),
                c("header: NUL in a value", get("/healthz", "X-Any: a\0b"), 400,
                        "Malformed HTTP request: Validation failed for header 'X-Any'", Ending.CLOSED),
                c("header: NUL in a name", get("/healthz", "X\0Any: a"), 400,
                        "a header name can only contain \"token\" characters, but found invalid character 0x0",
                        Ending.CLOSED),
                c("header: bare CR in a value", get("/healthz", "X-Any: a\rb"), 400,
                        "Validation failed for header 'X-Any'", Ending.CLOSED),
                c("header: bare LF line ends", "GET /healthz HTTP/1.1\nHost: x\n\n", 400,
                        "Line Feed must be preceded by Carriage Return", Ending.CLOSED),
                c("header: Content-Type not UTF-8", "POST " + HUB + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + VALID + "\r\nContent-Type: \u00ff\r\nContent-Length: 7\r\n\r\ntopic=a", 415,
                        "Content-Type must be application/x-www-form-urlencoded", Ending.KEPT),
                c("body: %zz", publish("topic=a&data=%zz"), 400, "'%zz' at index 13 is not a percent-escape",
                        Ending.KEPT),
                c("body: trailing %", publish("topic=a&data=a%"), 400, "'%' at index 14 is not a percent-escape",
                        Ending.KEPT),
                c("body: %%41", publish("topic=a&data=%%41"), 400, "'%%4' at index 13 is not a percent-escape",
                        Ending.KEPT),
                c("body: surrogate %ED%A0%80", publish("topic=a&data=%ED%A0%80"), 400, notUtf8Escape, Ending.KEPT)));
        // Every form field: a raw byte that is not UTF-8, an escape that is not UTF-8.
        for (String field : List.of("topic", "data", "id", "type", "retry", "private")) {
            String pre = field.equals("topic") ? "" : "topic=a&";
            cases.add(c("body: raw 0xFF in " + field, publish(pre + field + "=\u00ff"), 400, notUtf8Body, Ending.KEPT));
            cases.add(c("body: %FF in " + field, publish(pre + field + "=%FF"), 400, notUtf8Escape, Ending.KEPT));
        }
        // NUL, CR and LF in every field: refused where they would reach the wire as a field
        // value (id, type, retry); data is split into lines (see dataWithLineBreaks); topic and
        // private never reach the wire.
        for (String field : List.of("id", "type", "retry")) {
            for (String[] bad : new String[][] {{"NUL", "%00"}, {"CR", "%0D"}, {"LF", "%0A"}, {"CRLF", "%0D%0A"},
                    {"raw NUL", "\0"}}) {
                String value = field.equals("retry") ? "1" + bad[1] + "0" : "x" + bad[1] + "event:%20evil";
                cases.add(c(bad[0] + " in " + field, publish("topic=a&" + field + "=" + value), 400,
                        "Invalid '" + field + "'", Ending.KEPT));
            }
        }
        cases.add(c("NUL in topic (a topic like any other)", publish("topic=nul%00topic&data=x"), 200, "urn:uuid:",
                Ending.KEPT));
        cases.add(c("NUL as private's value (present, so private)", publish("topic=nul-private&private=%00&data=x"),
                200, "urn:uuid:", Ending.KEPT));
        cases.add(c("id starting with #", publish("topic=a&id=%231"), 400, "must not start with '#'", Ending.KEPT));
        cases.add(c("id 'earliest'", publish("topic=a&id=earliest"), 400, "'earliest' is reserved", Ending.KEPT));
        cases.add(c("retry over 12 digits", publish("topic=a&retry=9999999999999"), 400, "Invalid 'retry'",
                Ending.KEPT));
        return cases.stream();
    }

    static Stream<Arguments> parameters() {
        String many = IntStream.range(0, 101).mapToObj(i -> "topic=t" + i).collect(Collectors.joining("&"));
        String tooMany = IntStream.range(0, 117).mapToObj(i -> "x=" + i).collect(Collectors.joining("&"));
        String topicsAndToken = IntStream.range(0, 116).mapToObj(i -> "t=" + i).collect(Collectors.joining("&"))
                + "&authorization=" + TestHub.subscriber("*") + "&topic=a";
        String formFields = IntStream.range(0, 1024).mapToObj(i -> "topic=f" + i).collect(Collectors.joining("&"));
        return Stream.of(
                c("query: topic twice", get(HUB + "?topic=a&topic=a"), 200, "", Ending.STREAM),
                c("query: empty topic", get(HUB + "?topic="), 400, "Empty 'topic' parameter", Ending.KEPT),
                c("query: topic without '='", get(HUB + "?topic"), 400, "Empty 'topic' parameter", Ending.KEPT),
                c("query: only separators", get(HUB + "?&&&;;"), 400, "Missing 'topic' query parameter", Ending.KEPT),
                c("query: empty name", get(HUB + "?=x&topic=a"), 200, "", Ending.STREAM),
                c("query: empty authorization is no token", get(HUB + "?topic=a&authorization="), 200, "",
                        Ending.STREAM),
                c("query: 101 topics", get(HUB + "?" + many), 400,
                        "Too many 'topic' parameters: 101 given, at most 100 allowed (--max-topics-per-subscription)", Ending.KEPT),
                c("query: 117 parameters", get(HUB + "?" + tooMany), 400,
                        "The URL has more than 116 query parameters", Ending.KEPT),
                c("query: a token past the parameter limit is not silently dropped", get(HUB + "?" + topicsAndToken),
                        400, "The URL has more than 116 query parameters", Ending.KEPT),
                c("query: 2000 topics", get(HUB + "?" + many.repeat(20)), 414, "longer than 8192 bytes", Ending.CLOSED),
                c("body: topic twice", publish("topic=twice&topic=twice&data=x"), 200, "urn:uuid:", Ending.KEPT),
                c("body: id twice (the first wins)", publish("topic=a&id=first&id=second"), 200, "first", Ending.KEPT),
                c("body: empty id gets a generated one", publish("topic=a&id="), 200, "urn:uuid:", Ending.KEPT),
                c("body: empty retry is no retry", publish("topic=a&retry="), 200, "urn:uuid:", Ending.KEPT),
                c("body: empty name", publish("=x&topic=a"), 200, "urn:uuid:", Ending.KEPT),
                c("body: only separators", publish("&&&;;"), 400, "Missing 'topic' field", Ending.KEPT),
                c("body: empty topic", publish("topic=&data=x"), 400, "Empty 'topic' field", Ending.KEPT),
                c("body: topic without '='", publish("topic"), 400, "Empty 'topic' field", Ending.KEPT),
                c("body: 1000 topics", publish(formFields.substring(0, formFields.indexOf("&topic=f1000"))), 413,
                        "Too many 'topic' fields: 1000 given, at most 100 allowed in one update"
                                + " (--max-topics-per-update).", Ending.KEPT),
                c("body: 1025 fields, 'private' last", publish(formFields + "&private=on"), 413,
                        "The form has more than 1024 fields", Ending.KEPT));
    }

    static Stream<Arguments> smuggling() {
        return Stream.of(
                c("Content-Length and Transfer-Encoding", publishHead("Content-Length: 7", "Transfer-Encoding: chunked")
                        + "7\r\ntopic=a\r\n0\r\n\r\n", 400,
                        "Content-Length are not allowed in HTTP/1.1 messages that contains a Transfer-Encoding header",
                        Ending.CLOSED),
                c("Transfer-Encoding then Content-Length", publishHead("Transfer-Encoding: chunked", "Content-Length: 3")
                        + "7\r\ntopic=a\r\n0\r\n\r\n", 400, "Transfer-Encoding header", Ending.CLOSED),
                c("two different Content-Lengths", publishHead("Content-Length: 7", "Content-Length: 12")
                        + "topic=a&x=yz", 400, "Multiple Content-Length values found: [7, 12]", Ending.CLOSED),
                c("two equal Content-Lengths", publishHead("Content-Length: 7", "Content-Length: 7") + "topic=a", 400,
                        "Multiple Content-Length values found: [7, 7]", Ending.CLOSED),
                c("Content-Length list", publishHead("Content-Length: 7, 12") + "topic=a&x=yz", 400,
                        "Multiple Content-Length values found", Ending.CLOSED),
                c("Content-Length negative", publishHead("Content-Length: -7") + "topic=a", 400,
                        "Content-Length value is not a number: -7", Ending.CLOSED),
                c("Content-Length with a sign", publishHead("Content-Length: +7") + "topic=a", 400,
                        "Content-Length value is not a number: +7", Ending.CLOSED),
                c("Content-Length overflowing", publishHead("Content-Length: 99999999999999999999") + "topic=a", 400,
                        "Content-Length value is not a number", Ending.CLOSED),
                c("Transfer-Encoding chunked twice", publishHead("Transfer-Encoding: chunked, chunked")
                        + "0\r\n\r\n", 400, "chunked transfer coding must not be applied more than once", Ending.CLOSED),
                c("Transfer-Encoding not ending in chunked", publishHead("Transfer-Encoding: gzip") + "topic=a", 400,
                        "The final transfer coding must be chunked for HTTP requests", Ending.CLOSED),
                c("Transfer-Encoding folded onto the next line", publishHead("Content-Length: 7",
                        "Transfer-Encoding:", " chunked") + "7\r\ntopic=a\r\n0\r\n\r\n", 400,
                        "Malformed HTTP request: Validation failed for header 'Transfer-Encoding'",
                        Ending.CLOSED),
                // RFC 9112 section 5.2: a server may replace obs-fold with a space; Netty does.
                c("obs-fold is unfolded into one space", "POST " + HUB + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n "
                        + VALID + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n"
                        + "topic=a", 200, "urn:uuid:", Ending.KEPT),
                c("obs-fold on the first header line", "GET /healthz HTTP/1.1\r\n Host: x\r\n\r\n", 400,
                        "a header name can only contain \"token\" characters, but found invalid character 0x20",
                        Ending.CLOSED),
                c("two Host headers", get("/healthz", "Host: other"), 400,
                        "The request has 2 Host headers; send exactly one.", Ending.CLOSED),
                c("absolute-form target", "GET HTTP://example.com/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200,
                        "ok", Ending.KEPT),
                c("absolute-form target without a path", "GET http://example.com?topic=a HTTP/1.1\r\nHost: x\r\n\r\n",
                        404, "Nothing at /.", Ending.KEPT),
                c("absolute-form publish", "POST http://example.com" + publish("topic=absolute&data=x").substring(5),
                        200, "urn:uuid:", Ending.KEPT),
                // (An h2c upgrade switches the connection to HTTP/2: see theH2cUpgradeSwitchesToHttp2.)
                c("websocket upgrade is answered over HTTP/1.1", get(HUB + "?topic=", "Connection: Upgrade",
                        "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                        "Sec-WebSocket-Version: 13"), 400, "Empty 'topic' parameter", Ending.KEPT),
                c("space before the colon", get("/healthz", "Content-Length : 0"), 400,
                        "found invalid character 0x20", Ending.CLOSED),
                c("chunk size not hex", publishHead("Transfer-Encoding: chunked") + "zz\r\ntopic=a\r\n0\r\n\r\n", 400,
                        "Invalid character in chunk size", Ending.CLOSED),
                c("chunk size negative", publishHead("Transfer-Encoding: chunked") + "-7\r\ntopic=a\r\n0\r\n\r\n", 400,
                        "Invalid character in chunk size", Ending.CLOSED),
                c("chunk size overflowing", publishHead("Transfer-Encoding: chunked") + "fffffffffffffffff\r\ntopic=a"
                        + "\r\n0\r\n\r\n", 400, "Chunk size overflow", Ending.CLOSED),
                c("chunk extension with control bytes", publishHead("Transfer-Encoding: chunked") + "7;\0\u00ff\r\n"
                        + "topic=a\r\n0\r\n\r\n", 400, "Invalid chunk extension", Ending.CLOSED),
                c("chunk longer than its size", publishHead("Transfer-Encoding: chunked") + "3\r\ntopic=a\r\n0\r\n\r\n",
                        400, "Malformed HTTP request", Ending.CLOSED),
                c("chunked body over the limit", publishHead("Transfer-Encoding: chunked") + "10001\r\n"
                        + "a".repeat(0x10001) + "\r\n0\r\n\r\n", 413, "65536 bytes (--max-body-size)", Ending.CLOSED),
                c("not HTTP at all", "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003\r\n\r\n",
                        400, "Malformed HTTP request", Ending.CLOSED),
                c("method with a control byte", "G\u0001T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                        "Illegal character in HTTP Method: 0x1", Ending.CLOSED),
                c("HTTP/0.9 request", "GET /healthz\r\n\r\n", 400, "Malformed HTTP request", Ending.CLOSED),
                c("HTTP/9.9 request", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 505,
                        "HTTP version HTTP/9.9 is not supported", Ending.CLOSED),
                c("unknown method", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405, "Method BREW is not allowed here",
                        Ending.KEPT));
    }

    @Order(1)
    @ParameterizedTest(name = "token: {0}")
    @MethodSource("tokens")
    void malformedTokens(String name, String request, int status, String message, Ending ending) throws Exception {
        exchange(request, status, message, ending);
    }

    @Order(1)
    @ParameterizedTest(name = "field: {0}")
    @MethodSource("fields")
    void badBytesInEveryField(String name, String request, int status, String message, Ending ending)
            throws Exception {
        exchange(request, status, message, ending);
    }

    @Order(1)
    @ParameterizedTest(name = "parameters: {0}")
    @MethodSource("parameters")
    void repeatedEmptyAndTooManyParameters(String name, String request, int status, String message, Ending ending)
            throws Exception {
        exchange(request, status, message, ending);
    }

    @Order(1)
    @ParameterizedTest(name = "smuggling: {0}")
    @MethodSource("smuggling")
    void smugglingShapes(String name, String request, int status, String message, Ending ending) throws Exception {
        exchange(request, status, message, ending);
    }

    private static void exchange(String request, int status, String message, Ending ending) throws Exception {
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            conn.send(request);
            if (ending == Ending.SILENT_CLOSE) {
                conn.shutdownOutput();
                assertThat(conn.read()).as("no answer").isNull();
                return;
            }
            if (ending == Ending.STREAM) {
                RawConnection.Answer head = conn.readHead();
                assertThat(head).as("an answer").isNotNull();
                assertThat(head.status()).isEqualTo(status);
                assertThat(head.header("content-type")).isEqualTo("text/event-stream");
                conn.shutdownOutput(); // ends the stream
                assertThat(conn.closed()).as("the stream ends at the client's half-close").isTrue();
                return;
            }
            RawConnection.Answer answer = conn.read();
            assertThat(answer).as("an answer").isNotNull();
            assertThat(answer.status()).as("status; body: " + answer.body()).isEqualTo(status);
            assertThat(answer.body()).contains(message);
            switch (ending) {
                case KEPT -> {
                    assertThat(answer.closes()).as("Connection: close").isFalse();
                    assertThat(answer.header("content-type")).startsWith("text/plain");
                    RawConnection.Answer next = conn.send(get("/healthz")).read();
                    assertThat(next).as("a second request on the same connection is answered").isNotNull();
                    assertThat(next.status()).isEqualTo(200);
                }
                case CLOSED -> {
                    assertThat(answer.closes()).as("Connection: close").isTrue();
                    assertThat(answer.header("content-type")).startsWith("text/plain");
                    assertThat(conn.closed()).as("closed by the gateway").isTrue();
                }
                default -> throw new AssertionError(ending);
            }
        }
    }

    /** After every case: a plain publish reaches the plain subscriber. */
    @AfterEach
    void stillServing() throws Exception {
        String id;
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            RawConnection.Answer ok = conn.send(publish("topic=alive&data=still+here")).read();
            assertThat(ok.status()).as(ok.body()).isEqualTo(200);
            id = ok.body();
        }
        SseEvent e;
        do {
            e = watcher.next(10_000);
            assertThat(e).as("the watcher gets the publish " + id).isNotNull();
            assertThat(e.data()).as("the watcher got a private update").doesNotContain("secret");
        } while (!id.equals(e.id()));
        assertThat(e.data()).isEqualTo("still here");
    }

    @Order(2)
    @Test
    void dataLineBreaksBecomeDataLinesAndNulPassesThrough() throws Exception {
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            RawConnection.Answer ok = conn.send(publish("topic=wire&type=t&id=wire-1&retry=7&data="
                    + "l1%0D%0Al2%0Dl3%0Al4%0A%0Adata:%20forged%0Aid:%20x%0A%00end")).read();
            assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        }
        SseEvent e;
        do {
            e = watcher.next(10_000);
            assertThat(e).isNotNull();
        } while (!"wire-1".equals(e.id()));
        // Every line break ends a data: line; the lines arrive joined with LF; nothing in data
        // became a field of its own (the id and type are the publisher's, "data: forged" is data).
        assertThat(e.data()).isEqualTo("l1\nl2\nl3\nl4\n\ndata: forged\nid: x\n\0end");
        assertThat(e.type()).isEqualTo("t");
        assertThat(e.retry()).isEqualTo(7L);
    }

    @Order(2)
    @Test
    void pipelinedGarbageAfterValidRequests() throws Exception {
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            conn.send(get("/healthz") + publish("topic=pipelined&data=1") + get("/readyz") + "GARBAGE\r\n\r\n"
                    + get("/healthz"));
            assertThat(conn.read().status()).isEqualTo(200);
            RawConnection.Answer published = conn.read();
            assertThat(published.status()).isEqualTo(200);
            assertThat(published.body()).startsWith("urn:uuid:");
            assertThat(conn.read().status()).isEqualTo(200);
            RawConnection.Answer garbage = conn.read();
            assertThat(garbage.status()).isEqualTo(400);
            assertThat(garbage.body()).contains("Malformed HTTP request");
            assertThat(garbage.closes()).isTrue();
            assertThat(conn.read()).as("nothing after the garbage is answered").isNull();
        }
    }

    @Order(2)
    @Test
    void pipelinedBytesAfterASubscribeAreIgnoredByTheStream() throws Exception {
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            conn.send(get(HUB + "?topic=pipelined-stream") + "GARBAGE\r\n\r\n" + publish("topic=x"));
            conn.shutdownOutput();
            RawConnection.Answer stream = conn.read();
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.header("content-type")).isEqualTo("text/event-stream");
            assertThat(stream.body()).startsWith(":\nretry: ").doesNotContain("HTTP/1.1");
        }
    }

    /**
     * A resume from an id this node does not know waits for the log to catch up before the
     * stream opens. Requests pipelined behind it used to be parsed and answered meanwhile, ahead
     * of the stream's head (answers out of order, and a publish carried out from the bytes of a
     * stream).
     */
    @Order(2)
    @Test
    void requestsPipelinedAfterAResumingSubscribeAreNeitherAnsweredNorCarriedOut() throws Exception {
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            conn.send(get(HUB + "?topic=a&lastEventID=not-in-history") + get("/healthz")
                    + publish("topic=alive&data=pipelined+after+a+resume"));
            RawConnection.Answer head = conn.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-type")).isEqualTo("text/event-stream");
            assertThat(head.header("last-event-id")).isEqualTo("earliest");
            conn.shutdownOutput();
            assertThat(conn.closed()).isTrue();
        }
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            assertThat(conn.send(publish("topic=alive&data=marker")).read().status()).isEqualTo(200);
        }
        SseEvent e;
        do {
            e = watcher.next(10_000);
            assertThat(e).isNotNull();
            assertThat(e.data()).as("a publish pipelined behind a stream").isNotEqualTo("pipelined after a resume");
        } while (!e.data().equals("marker"));
    }

    @Order(2)
    @Test
    void halfClosedMidRequestIsClosedWithoutAnAnswer() throws Exception {
        for (String partial : List.of("GET /healthz HTTP/1.1\r\nHost: x\r\n", "GET /heal",
                publishHead("Content-Length: 100") + "topic=a", publishHead("Transfer-Encoding: chunked") + "7\r\ntop")) {
            try (RawConnection conn = new RawConnection(port, 10_000)) {
                conn.send(partial);
                conn.shutdownOutput();
                assertThat(conn.read()).as("no answer to '" + partial.substring(0, 9) + "...'").isNull();
            }
        }
    }

    @Order(2)
    @Test
    void halfClosedAfterACompleteRequestIsAnsweredThenClosed() throws Exception {
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            conn.send(publish("topic=half-closed&data=x"));
            conn.shutdownOutput();
            RawConnection.Answer ok = conn.read();
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.body()).startsWith("urn:uuid:");
            assertThat(conn.read()).isNull();
        }
    }

    /**
     * A client that connects and sends nothing holds its connection, and meanwhile everyone else
     * is served. (--header-timeout closes it after 10 s by default; RequestTimeoutsTest tests that.)
     */
    @Order(2)
    @Test
    void connectionsThatSendNothingDoNotBlockOthers() throws Exception {
        List<RawConnection> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                idle.add(new RawConnection(port, 1_000));
            }
            idle.get(0).send("GET /heal"); // and one that stops mid-line
            for (int i = 0; i < 5; i++) {
                try (RawConnection conn = new RawConnection(port, 10_000)) {
                    assertThat(conn.send(get("/healthz")).read().status()).isEqualTo(200);
                }
            }
            assertThat(idle.get(1).closed()).as("an idle connection is still open after 1 s").isFalse();
        } finally {
            idle.forEach(RawConnection::close);
        }
    }

    /**
     * The HTTP/2 connection preface on the HTTP/1.1 port is cleartext HTTP/2 with prior knowledge:
     * the gateway answers with its own SETTINGS frame. The same preface followed by garbage in
     * place of frames gets a GOAWAY and the close, never a hang.
     */
    @Order(2)
    @Test
    void http2PrefaceIsServedAndGarbageAfterItGetsGoaway() throws Exception {
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(preface);
            socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // an empty SETTINGS
            socket.getOutputStream().flush();
            byte[] frame = socket.getInputStream().readNBytes(9);
            assertThat(frame).hasSize(9);
            assertThat(frame[3]).as("frame type SETTINGS").isEqualTo((byte) 4);
            assertThat(java.util.Arrays.copyOfRange(frame, 5, 9)).as("stream 0").containsOnly(0);
        }
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(preface);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            boolean goaway = false;
            while (true) {
                byte[] header = in.readNBytes(9);
                if (header.length < 9) {
                    break; // closed
                }
                int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
                goaway |= header[3] == 7;
                in.readNBytes(length);
            }
            assertThat(goaway).as("a GOAWAY before the close").isTrue();
        }
    }

    /** {@code Upgrade: h2c} switches the connection: a 101, then the answer on HTTP/2 stream 1. */
    @Order(2)
    @Test
    void theH2cUpgradeSwitchesToHttp2() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                    + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                assertThat(b).as("the 101 head").isNotNegative();
                head.append((char) b);
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101").containsIgnoringCase("upgrade: h2c");
            socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            socket.getOutputStream().flush();
            boolean headersOnStream1 = false;
            for (int i = 0; i < 10 && !headersOnStream1; i++) {
                byte[] header = in.readNBytes(9);
                assertThat(header).hasSize(9);
                int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
                int stream = ((header[5] & 0x7f) << 24) | ((header[6] & 0xff) << 16) | ((header[7] & 0xff) << 8)
                        | (header[8] & 0xff);
                headersOnStream1 = header[3] == 1 && stream == 1;
                in.readNBytes(length);
            }
            assertThat(headersOnStream1).as("the answer's HEADERS on stream 1").isTrue();
        }
    }

    @Order(3)
    @Test
    void noPrivateUpdateReachedTheAnonymousWatcherAndTheLogHasNoStackTrace() throws Exception {
        try (RawConnection conn = new RawConnection(port, 10_000)) {
            assertThat(conn.send(publish("topic=secret&private=on&data=secret")).read().status()).isEqualTo(200);
            assertThat(conn.send(publish("topic=alive&data=last")).read().status()).isEqualTo(200);
        }
        SseEvent e;
        do {
            e = watcher.next(10_000);
            assertThat(e).isNotNull();
            assertThat(e.data()).doesNotContain("secret");
        } while (!e.data().equals("last"));
        assertThat(watcher.ended).as("the watcher's stream is still open").isFalse();
        assertThat(gateway.isAlive()).isTrue();
        GeneratedRequestsTest.assertCleanLog(gateway.output());
    }
}
