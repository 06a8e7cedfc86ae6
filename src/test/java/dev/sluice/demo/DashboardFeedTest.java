package dev.sluice.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.Gateway;
import dev.sluice.config.Config;
import dev.sluice.support.TestHub;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's pages and its metrics stream over real sockets: what a sample holds agrees
 * with the gateway's own counters, the stream limit is a 503 with Retry-After, and other methods
 * get a 405.
 */
class DashboardFeedTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Gateway gateway;
    private static String base;
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        Config config = Config.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .publisherJwt(TestHub.SECRET, "HS256").anonymous(true).workers(1).build();
        gateway = Gateway.start(config, metrics -> DemoPages.extras(false, true, metrics,
                Duration.ofMillis(200), 2));
        base = "http://127.0.0.1:" + gateway.port();
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<InputStream> stream() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/dashboard/metrics")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    private static JsonNode nextSample(BufferedReader r) throws Exception {
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith("data: ")) {
                return JSON.readTree(line.substring(6));
            }
        }
        throw new AssertionError("the stream ended");
    }

    @Test
    void pagesAreServedOnlyWhereEnabled() throws Exception {
        HttpResponse<String> page = get("/dashboard");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("/dashboard/metrics").doesNotContain("http://", "https://");
        assertThat(get("/demo/dashboard.js").statusCode()).isEqualTo(200);
        HttpResponse<String> board = get("/");
        assertThat(board.statusCode()).as("no --demo, no board").isEqualTo(404);
        assertThat(board.body()).contains("/dashboard");
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/dashboard/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET");
    }

    @Test
    void samplesFollowTheGatewaysCountersAndTheStreamLimitHolds() throws Exception {
        HttpResponse<InputStream> first = stream();
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("content-type")).hasValue("text/event-stream");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(first.body(), StandardCharsets.UTF_8))) {
            JsonNode sample = nextSample(r);
            long published = sample.get("published").asLong();
            assertThat(sample.get("connections").asLong()).isZero();
            // One subscriber and three publishes through the hub.
            URI hub = URI.create(base + "/.well-known/mercure");
            HttpResponse<InputStream> subscribed = http.send(HttpRequest.newBuilder(URI.create(hub + "?topic=t")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(subscribed.statusCode()).isEqualTo(200);
            try (BufferedReader sub = new BufferedReader(new InputStreamReader(subscribed.body(), StandardCharsets.UTF_8))) {
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> res = http.send(HttpRequest.newBuilder(hub)
                            .header("Authorization", "Bearer " + TestHub.publisher())
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString("topic=t&data=" + i)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(res.statusCode()).isEqualTo(200);
                }
                String line;
                while ((line = sub.readLine()) != null && !line.equals("data: 2")) {
                    // read until the last publish arrived
                }
                assertThat(line).isEqualTo("data: 2");
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    JsonNode s = nextSample(r);
                    return s.get("connections").asLong() == 1 && s.get("published").asLong() == published + 3
                            && s.get("publishAccepted").asLong() >= 3 && s.get("historyEvents").asLong() >= 3
                            && s.path("latency").path("publish").path("count").asLong() >= 3;
                });
            }
            // The limit is 2 streams: the second opens, the third gets 503.
            HttpResponse<InputStream> second = stream();
            assertThat(second.statusCode()).isEqualTo(200);
            HttpResponse<InputStream> third = stream();
            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.headers().firstValue("retry-after")).hasValue("10");
            assertThat(new String(third.body().readAllBytes(), StandardCharsets.UTF_8)).contains("2 streams open");
            second.body().close();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                HttpResponse<InputStream> again = stream();
                again.body().close();
                return again.statusCode() == 200;
            });
        }
    }
}
