package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TestHub;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A publish authenticated by the mercureAuthorization cookie must come from one of --publish-origins. */
class PublishOriginsTest {

    static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.publishOrigins(List.of("https://app.example", "http://localhost:3000")));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    /** A publish of one update; headers as name, value pairs. */
    static HttpResponse<String> publish(TestHub to, URI uri, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "t", "data", "x")));
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return to.http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> publish(String... headers) throws Exception {
        return publish(hub, hub.hubUrl, headers);
    }

    static String cookie() {
        return "theme=dark; mercureAuthorization=" + TestHub.publisher();
    }

    @Test
    void cookieFromAnAllowedOriginMayPublish() throws Exception {
        assertThat(publish("Cookie", cookie(), "Origin", "https://app.example").statusCode()).isEqualTo(200);
        assertThat(publish("Cookie", cookie(), "Origin", "HTTPS://APP.example:443").statusCode())
                .as("scheme and host case and the default port do not matter").isEqualTo(200);
        assertThat(publish("Cookie", cookie(), "Origin", "http://localhost:3000").statusCode()).isEqualTo(200);
    }

    @Test
    void cookieWithoutOriginFallsBackToReferer() throws Exception {
        assertThat(publish("Cookie", cookie(), "Referer", "https://app.example/page?x=1").statusCode())
                .isEqualTo(200);
        HttpResponse<String> res = publish("Cookie", cookie(), "Referer", "https://evil.example/page");
        assertThat(res.statusCode()).isEqualTo(403);
        assertThat(res.body()).contains("Origin https://evil.example (from the Referer header) is not allowed")
                .contains("allowed: https://app.example, http://localhost:3000");
    }

    @Test
    void cookieFromAnotherOriginIsRefused() throws Exception {
        HttpResponse<String> res = publish("Cookie", cookie(), "Origin", "https://evil.example",
                "Referer", "https://app.example/");
        assertThat(res.statusCode()).isEqualTo(403);
        assertThat(res.body()).contains("Origin https://evil.example (from the Origin header) is not allowed");
        assertThat(publish("Cookie", cookie(), "Origin", "http://localhost:3001").statusCode())
                .as("another port is another origin").isEqualTo(403);
        assertThat(publish("Cookie", cookie(), "Origin", "http://app.example").statusCode())
                .as("another scheme is another origin").isEqualTo(403);
    }

    @Test
    void cookieWithoutOriginOrRefererIsRefused() throws Exception {
        HttpResponse<String> res = publish("Cookie", cookie());
        assertThat(res.statusCode()).isEqualTo(403);
        assertThat(res.body()).contains("must carry an Origin or Referer header").contains("has neither");
    }

    @Test
    void opaqueOrUnreadableOriginIsRefused() throws Exception {
        HttpResponse<String> res = publish("Cookie", cookie(), "Origin", "null");
        assertThat(res.statusCode()).isEqualTo(403);
        assertThat(res.body()).contains("its Origin 'null' names no origin");
        HttpResponse<String> referer = publish("Cookie", cookie(), "Referer", "not a url");
        assertThat(referer.statusCode()).isEqualTo(403);
        assertThat(referer.body()).contains("its Referer 'not a url' names no origin");
    }

    @Test
    void headerAndQueryTokensAreNotChecked() throws Exception {
        assertThat(publish("Authorization", "Bearer " + TestHub.publisher(), "Cookie", cookie(),
                "Origin", "https://evil.example").statusCode()).isEqualTo(200);
        URI withQuery = URI.create(hub.hubUrl + "?authorization=" + TestHub.publisher());
        assertThat(publish(hub, withQuery, "Origin", "https://evil.example").statusCode()).isEqualTo(200);
    }

    @Test
    void aBadCookieTokenIsStill401() throws Exception {
        HttpResponse<String> res = publish("Cookie", "mercureAuthorization=garbage", "Origin", "https://evil.example");
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer realm=\"mercure\", error=\"invalid_token\""));
    }

    @Test
    void withoutPublishOriginsNoCookiePublishIsAccepted() throws Exception {
        try (TestHub plain = TestHub.start()) {
            HttpResponse<String> res = publish(plain, plain.hubUrl, "Cookie", cookie(), "Origin", "https://app.example");
            assertThat(res.statusCode()).isEqualTo(403);
            assertThat(res.body()).contains("no origin is (set --publish-origins)");
            assertThat(publish(plain, plain.hubUrl, "Authorization", "Bearer " + TestHub.publisher()).statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void starAllowsAnyOriginButStillWantsOne() throws Exception {
        try (TestHub any = TestHub.start(b -> b.publishOrigins(List.of("*")))) {
            assertThat(publish(any, any.hubUrl, "Cookie", cookie(), "Origin", "https://whatever.example").statusCode())
                    .isEqualTo(200);
            assertThat(publish(any, any.hubUrl, "Cookie", cookie()).statusCode()).isEqualTo(403);
        }
    }
}
