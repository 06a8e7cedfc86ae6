package dev.sluice.mercure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.browser.Chromium;
import dev.sluice.support.TestHub;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chromium's own {@code EventSource}, once as a Mercure 0.x client ({@code topic=} with a URI
 * template, the {@code mercureAuthorization} cookie) and once as a Mercure 1.0 client
 * ({@code match_urlpattern=}, the access token cookie), side by side on one page against one hub:
 * both receive the same public and private updates from a 0.x and a 1.0 publisher, and each
 * resumes with its own dialect's parameter.
 */
class BrowserDialectsTest {

    private static final String COOKIE = "mercure_access_token";
    private static TestHub hub;
    private static Chromium browser;

    @BeforeAll
    static void start() throws Exception {
        Path binary = Chromium.find();
        if (binary == null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("Chromium is required in CI (the test script installs it)");
        }
        Assumptions.assumeTrue(binary != null, "Chromium is not installed: apt-get install chromium");
        // A cookie name without the __Secure- prefix: the page is plain http on 127.0.0.1.
        hub = TestHub.start(b -> b.subscriberJwt(TestHub.SECRET, "HS256").trustedIssuers(List.of(AccessTokens.TRUSTED)).hubUrl(AccessTokens.HUB_URL)
                .accessTokenCookie(COOKIE));
        browser = new Chromium(binary, "http://127.0.0.1:" + hub.gateway.port() + "/healthz");
        String zeroX = TestHub.subscriber("https://example.com/books/{id}");
        String oneO = AccessTokens.subscriber("https://example.com/books/:id");
        browser.eval("document.cookie = 'mercureAuthorization=" + zeroX + "; path=/'; document.cookie = '"
                + COOKIE + "=" + oneO + "; path=/'; true", Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void bothDialectsReceiveEveryUpdateSideBySideAndResume() throws Exception {
        browser.openEventSource("old", "/.well-known/mercure?topic=" + TestHub.q("https://example.com/books/{id}"));
        browser.openEventSource("neu", "/.well-known/mercure?match_urlpattern=" + TestHub.q("https://example.com/books/:id"));

        List<String> ids = new ArrayList<>();
        ids.add(hub.publishOk("topic", "https://example.com/books/1", "data", "public from 0.x"));
        ids.add(hub.publishOk("topic", "https://example.com/books/2", "data", "private from 0.x", "private", "on"));
        for (String data : List.of("public from 1.0", "private from 1.0")) {
            String body = TestHub.form("topic", "https://example.com/books/3", "data", data)
                    + (data.startsWith("private") ? "&private=on" : "");
            var res = hub.publish(AccessTokens.publisher(), body);
            assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
            ids.add(res.body());
        }
        hub.publishOk("topic", "https://example.com/authors/1", "data", "for neither");

        for (String name : List.of("old", "neu")) {
            JsonNode got = browser.awaitEvents(name, 4, Duration.ofSeconds(10));
            List<String> data = new ArrayList<>();
            List<String> seen = new ArrayList<>();
            got.get("events").forEach(e -> {
                data.add(e.get("data").asText());
                seen.add(e.get("id").asText());
            });
            assertThat(data).as(name).containsExactly("public from 0.x", "private from 0.x", "public from 1.0",
                    "private from 1.0");
            assertThat(seen).as(name).containsExactlyElementsOf(ids);
            assertThat(got.get("errors").asInt()).as(name).isZero();
            browser.closeEventSource(name);
        }

        String after = ids.get(1);
        browser.openEventSource("oldResumed", "/.well-known/mercure?topic="
                + TestHub.q("https://example.com/books/{id}") + "&lastEventID=" + TestHub.q(after));
        browser.openEventSource("neuResumed", "/.well-known/mercure?match_urlpattern="
                + TestHub.q("https://example.com/books/:id") + "&last_event_id=" + TestHub.q(after));
        for (String name : List.of("oldResumed", "neuResumed")) {
            JsonNode got = browser.awaitEvents(name, 2, Duration.ofSeconds(10));
            assertThat(got.get("events").get(0).get("data").asText()).as(name).isEqualTo("public from 1.0");
            assertThat(got.get("events").get(1).get("data").asText()).as(name).isEqualTo("private from 1.0");
            browser.closeEventSource(name);
        }
    }
}
