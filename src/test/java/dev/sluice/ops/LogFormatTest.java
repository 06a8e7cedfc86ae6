package dev.sluice.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.TestHub;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code --log-format} and {@code --access-log} of a real {@code sluice serve} process: JSON lines
 * that Jackson parses, one object per line, with the access log's fields; the plain format as it
 * always looked; and no token, cookie or key in any line.
 */
class LogFormatTest {

    private static final List<String> JVM = List.of("--enable-native-access=ALL-UNNAMED");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void jsonLinesWithAnAccessLogAndNoSecrets() throws Exception {
        String publisher = TestHub.publisher();
        String cookieToken = TestHub.subscriber("*");
        String queryToken = TestHub.token(List.of(), List.of("https://example.com/{id}"));
        String forged = TokenIssuer.hmac(JwtAlgorithm.HS256,
                "another-secret-0123456789-abcdefghijklmnopqrstuv".getBytes(StandardCharsets.UTF_8),
                List.of("*"), List.of("*"), null);
        try (GatewayProcess gateway = GatewayProcess.launch(JVM, "memory", "--log-format", "json", "--access-log",
                "--trusted-proxies", "127.0.0.1/32")) {
            URI hub = gateway.hubUrl();
            HttpResponse<String> published = http.send(HttpRequest.newBuilder(hub)
                    .header("Authorization", "Bearer " + publisher)
                    .header("X-Forwarded-For", "203.0.113.7") // from a trusted proxy: the client admission sees
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "https://example.com/1",
                            "topic", "https://example.com/alt", "data", "hello"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(published.statusCode()).isEqualTo(200);

            HttpResponse<InputStream> byCookie = http.send(HttpRequest.newBuilder(URI.create(hub + "?topic=a"))
                    .header("Cookie", "mercureAuthorization=" + cookieToken).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(byCookie.statusCode()).isEqualTo(200);
            HttpResponse<InputStream> byQuery = http.send(HttpRequest.newBuilder(URI.create(hub
                    + "?topic=a&topic=b&authorization=" + queryToken)).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(byQuery.statusCode()).isEqualTo(200);
            byCookie.body().read();
            byQuery.body().read();
            byCookie.body().close();
            byQuery.body().close();
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(hub
                    + "?topic=a&authorization=" + forged)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(
                    () -> gateway.output().split("\"event\":\"stream_close\"", -1).length - 1 == 2);

            String output = gateway.output();
            List<JsonNode> lines = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("Sluice listening on ") || line.isEmpty()) {
                    continue; // the start-up line on stdout, not a log line
                }
                JsonNode node = json.readTree(line); // every log line is one JSON object
                assertThat(node.isObject()).as(line).isTrue();
                assertThat(Instant.parse(node.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
                assertThat(node.get("level").asText()).isIn("INFO", "WARN", "ERROR");
                assertThat(node.get("logger").asText()).isNotEmpty();
                assertThat(node.get("thread").asText()).isNotEmpty();
                assertThat(node.has("message")).isTrue();
                lines.add(node);
            }
            assertThat(lines).anySatisfy(n -> assertThat(n.get("message").asText()).startsWith("listening on "));
            List<JsonNode> access = lines.stream().filter(n -> n.get("logger").asText().equals("sluice.access")).toList();

            JsonNode publish = only(access, "request", "publish");
            assertThat(publish.get("status").asInt()).isEqualTo(200);
            assertThat(publish.get("topics").asInt()).isEqualTo(2);
            assertThat(publish.get("bytes").asLong()).isPositive();
            assertThat(publish.get("duration_ms").isNumber()).isTrue();
            assertThat(publish.get("client").asText()).isEqualTo("203.0.113.7");
            assertThat(publish.get("conn").asText()).isNotEmpty();

            JsonNode unauthorized = only(access, "request", "subscribe");
            assertThat(unauthorized.get("status").asInt()).isEqualTo(401);

            List<JsonNode> opened = of(access, "stream_open");
            List<JsonNode> closed = of(access, "stream_close");
            assertThat(opened).hasSize(2).extracting(n -> n.get("topics").asInt()).containsExactlyInAnyOrder(1, 2);
            assertThat(opened).allSatisfy(n -> assertThat(n.get("client").asText()).isEqualTo("127.0.0.1"));
            assertThat(closed).hasSize(2).allSatisfy(n -> {
                assertThat(n.get("cause").asText()).isEqualTo("client");
                assertThat(n.get("bytes").asLong()).isPositive();
                assertThat(n.get("duration_ms").asDouble()).isPositive();
            });
            assertThat(closed).extracting(n -> n.get("conn").asText())
                    .containsExactlyInAnyOrderElementsOf(opened.stream().map(n -> n.get("conn").asText()).toList());

            for (String secret : List.of(publisher, cookieToken, queryToken, forged, TestHub.SECRET)) {
                assertThat(output).doesNotContain(secret);
                assertThat(output).doesNotContain(secret.substring(secret.lastIndexOf('.') + 1)); // its signature
            }
        }
    }

    @Test
    void plainTextAsBeforeAndNoAccessLogUnlessAskedFor() throws Exception {
        try (GatewayProcess gateway = GatewayProcess.launch(JVM, "memory")) {
            HttpResponse<String> published = http.send(HttpRequest.newBuilder(gateway.hubUrl())
                    .header("Authorization", "Bearer " + TestHub.publisher())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "a", "data", "x"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(published.statusCode()).isEqualTo(200);
            Thread.sleep(500); // an access line would be written before the answer; let the reader catch up
            String output = gateway.output();
            assertThat(output.lines()).anySatisfy(line -> assertThat(line).matches(
                    "\\d{2}:\\d{2}:\\d{2}\\.\\d{3} \\[main] INFO dev\\.sluice\\.Gateway - listening on /127\\.0\\.0\\.1:\\d+ .*"));
            assertThat(output).doesNotContain("sluice.access").doesNotContain("{\"time\"");
        }
    }

    private static List<JsonNode> of(List<JsonNode> access, String event) {
        return access.stream().filter(n -> n.get("event").asText().equals(event)).toList();
    }

    private static JsonNode only(List<JsonNode> access, String event, String route) {
        List<JsonNode> found = of(access, event).stream().filter(n -> n.get("route").asText().equals(route)).toList();
        assertThat(found).as(event + " " + route).hasSize(1);
        return found.get(0);
    }
}
