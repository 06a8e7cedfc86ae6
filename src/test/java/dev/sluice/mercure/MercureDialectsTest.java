package dev.sluice.mercure;

import static dev.sluice.mercure.AccessTokens.detail;
import static dev.sluice.mercure.AccessTokens.match;
import static dev.sluice.support.TestHub.form;
import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mercure 0.x and 1.0 on one hub at once, over real sockets: each dialect's subscriptions,
 * tokens, errors and resume fields, and the rules for a request that mixes them.
 */
class MercureDialectsTest {

    private static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.subscriberJwt(TestHub.SECRET, "HS256").trustedIssuers(List.of(AccessTokens.TRUSTED)).hubUrl(AccessTokens.HUB_URL));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    private static String auth(String token) {
        return "Bearer " + token;
    }

    @Test
    void aZeroXAndAOneOSubscriberOnOneTopicBothGetEveryUpdateWhoeverPublishedIt() throws Exception {
        String topic = "https://example.com/books/1";
        try (SseStream old = hub.subscribe("topic=" + q("https://example.com/books/{id}"),
                     "Authorization", auth(TestHub.subscriber("*")));
             SseStream neu = hub.subscribe("match_urlpattern=" + q("https://example.com/books/:id"),
                     "Authorization", auth(AccessTokens.subscriber("https://example.com/books/:id")))) {
            hub.publishOk("topic", topic, "data", "from a 0.x publisher");
            HttpResponse<String> viaAccessToken = hub.publish(AccessTokens.publisher(),
                    form("topic", topic, "data", "from a 1.0 publisher", "private", "on"));
            assertThat(viaAccessToken.statusCode()).as(viaAccessToken.body()).isEqualTo(200);
            for (SseStream s : List.of(old, neu)) {
                assertThat(s.next().data()).isEqualTo("from a 0.x publisher");
                SseEvent second = s.next();
                assertThat(second.data()).isEqualTo("from a 1.0 publisher");
                assertThat(second.id()).isEqualTo(viaAccessToken.body());
            }
        }
    }

    @Test
    void anExactMatcherIsByteForByteEvenWithBraces() throws Exception {
        try (SseStream exact = hub.subscribe("match=" + q("https://example.com/{x}"),
                "Authorization", auth(AccessTokens.subscriber("*")))) {
            hub.publishOk("topic", "https://example.com/1", "data", "not for the exact matcher");
            hub.publishOk("topic", "https://example.com/{x}", "data", "for it");
            assertThat(exact.next().data()).isEqualTo("for it");
        }
    }

    @Test
    void privateUpdatesFollowTheAuthorizationDetailsNotTheRoutingMatchers() throws Exception {
        String onlyBook7 = AccessTokens.token(List.of(detail(List.of("subscribe"),
                List.of(match("https://example.com/books/7", null)))));
        try (SseStream s = hub.subscribe("match_urlpattern=" + q("https://example.com/books/:id"),
                "Authorization", auth(onlyBook7))) {
            hub.publishOk("topic", "https://example.com/books/2", "data", "private 2", "private", "on");
            hub.publishOk("topic", "https://example.com/books/7", "data", "private 7", "private", "on");
            hub.publishOk("topic", "https://example.com/books/2", "topic", "https://example.com/books/7",
                    "data", "private via its alternate topic", "private", "on");
            assertThat(s.next().data()).isEqualTo("private 7");
            assertThat(s.next().data()).isEqualTo("private via its alternate topic");
            assertThat(s.poll(Duration.ofMillis(200))).isNull();
        }
    }

    @Test
    void oneOResumeUsesLastEventIdAndAnswersWithMercureLastEventId() throws Exception {
        String topic = "https://example.com/resume/" + System.nanoTime();
        String first = hub.publishOk("topic", topic, "data", "one");
        hub.publishOk("topic", topic, "data", "two");
        try (SseStream s = hub.subscribe("match=" + q(topic) + "&last_event_id=" + q(first),
                "Authorization", auth(AccessTokens.subscriber("*")))) {
            assertThat(s.next().data()).isEqualTo("two");
            assertThat(s.header("Mercure-Last-Event-ID")).isEqualTo(first);
            assertThat(s.header("Last-Event-ID")).isNull();
        }
        try (SseStream s = hub.subscribe("topic=" + q(topic) + "&lastEventID=" + q(first),
                "Authorization", auth(TestHub.subscriber("*")))) {
            assertThat(s.next().data()).isEqualTo("two");
            assertThat(s.header("Last-Event-ID")).isEqualTo(first);
        }
    }

    @Test
    void theAccessTokenCookieWorksForOneORequests() throws Exception {
        try (SseStream s = hub.subscribe("match_urlpattern=" + q("https://example.com/cookie/*"),
                "Cookie", "__Secure-mercure_access_token=" + AccessTokens.subscriber("https://example.com/cookie/*"))) {
            hub.publishOk("topic", "https://example.com/cookie/a", "data", "private", "private", "on");
            assertThat(s.next().data()).isEqualTo("private");
        }
    }

    @Test
    void requestsThatMixOrMisspellTheDialectsAreRefusedWithAReason() throws Exception {
        String token = auth(AccessTokens.subscriber("*"));
        HttpResponse<String> mixed = hub.subscribeRefused("topic=a&match=b", "Authorization", token);
        assertThat(mixed.statusCode()).isEqualTo(400);
        assertThat(mixed.body()).contains("mixes Mercure 0.x 'topic' and Mercure 1.0 'match'");

        HttpResponse<String> unknown = hub.subscribeRefused("match_regexp=a", "Authorization", token);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("Unknown matcher parameter 'match_regexp'");

        HttpResponse<String> caseVariant = hub.subscribeRefused("Match=a", "Authorization", token);
        assertThat(caseVariant.statusCode()).isEqualTo(400);

        HttpResponse<String> badPattern = hub.subscribeRefused("match_urlpattern=" + q("https://example.com/(a"),
                "Authorization", token);
        assertThat(badPattern.statusCode()).isEqualTo(400);
        assertThat(badPattern.body()).contains("not a valid URL pattern");

        HttpResponse<String> control = hub.subscribeRefused("match=" + q("a\u200Eb"), "Authorization", token);
        assertThat(control.statusCode()).isEqualTo(400);
        assertThat(control.body()).contains("U+200E");

        HttpResponse<String> queryToken = hub.subscribeRefused("match=a&authorization=" + q(AccessTokens.subscriber("*")));
        assertThat(queryToken.statusCode()).isEqualTo(400);
        assertThat(queryToken.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                v -> assertThat(v).contains("error=\"invalid_request\""));
    }

    @Test
    void oneOAuthFailuresAreRfc6750Challenges() throws Exception {
        HttpResponse<String> none = hub.subscribeRefused("match=a");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("resource_metadata=\"https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure\"")
                .doesNotContain("error=");

        String wrongAudience = AccessTokens.sign("at+jwt", AccessTokens.claims(List.of())
                .audience("https://other-hub.example/.well-known/mercure").build());
        HttpResponse<String> bad = hub.subscribeRefused("match=a", "Authorization", auth(wrongAudience));
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
        assertThat(bad.body()).contains("does not name this hub");

        String noExp = AccessTokens.sign("at+jwt", AccessTokens.claims(List.of()).expirationTime(null).build());
        HttpResponse<String> expless = hub.subscribeRefused("match=a", "Authorization", auth(noExp));
        assertThat(expless.statusCode()).isEqualTo(401);
        assertThat(expless.body()).contains("no exp claim");

        String badDetail = AccessTokens.token(List.of(detail(List.of("subscribe"),
                List.of(match("https://example.com/(", "urlpattern")))));
        HttpResponse<String> invalidDetail = hub.subscribeRefused("match=a", "Authorization", auth(badDetail));
        assertThat(invalidDetail.statusCode()).isEqualTo(401);
        assertThat(invalidDetail.body()).contains("not a valid URL pattern");

        String unknownType = AccessTokens.token(List.of(detail(List.of("subscribe"),
                List.of(match("a", "regexp")))));
        assertThat(hub.subscribeRefused("match=a", "Authorization", auth(unknownType)).body())
                .contains("'regexp' is not a matcher type this hub supports");

        HttpResponse<String> noScope = hub.publish(AccessTokens.token(List.of(detail(List.of("publish"),
                List.of(match("https://example.com/allowed", null))))), form("topic", "https://example.com/other"));
        assertThat(noScope.statusCode()).isEqualTo(403);
        assertThat(noScope.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"insufficient_scope\"");
    }

    @Test
    void publishersCannotForgeTheHubsOwnTopicsOrEventType() throws Exception {
        for (String topic : List.of("/.well-known/mercure/subscriptions/a/b",
                "https://anywhere.example/.well-known/mercure/subscriptions/x",
                "/.well-known/%6Dercure/subscriptions/x", "/.well-known/x/../mercure/y", "*")) {
            HttpResponse<String> res = hub.publish(TestHub.publisher(), form("topic", topic, "data", "x"));
            assertThat(res.statusCode()).as(topic).isEqualTo(400);
        }
        HttpResponse<String> typed = hub.publish(AccessTokens.publisher(), form("topic", "a", "type", "mercure"));
        assertThat(typed.statusCode()).isEqualTo(400);
        assertThat(typed.body()).contains("'mercure' is reserved");
        assertThat(hub.publish(TestHub.publisher(), form("topic", "https://example.com/.well-known/mercure-ish"))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void theQueryMethodCarriesMatchersInTheBody() throws Exception {
        String topic = "https://example.com/query/" + System.nanoTime();
        HttpRequest r = HttpRequest.newBuilder(hub.hubUrl)
                .header("Authorization", auth(AccessTokens.subscriber("*")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .method("QUERY", HttpRequest.BodyPublishers.ofString("match=" + q(topic))).build();
        HttpResponse<java.io.InputStream> res = hub.http.send(r, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(res.statusCode()).isEqualTo(200);
        dev.sluice.support.SseReader reader = new dev.sluice.support.SseReader();
        Thread t = Thread.ofVirtual().start(() -> reader.readAll(res.body()));
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (reader.lastRetry == null && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            hub.publishOk("topic", topic, "data", "via QUERY");
            SseEvent e = reader.next(10_000);
            assertThat(e).isNotNull();
            assertThat(e.data()).isEqualTo("via QUERY");
        } finally {
            res.body().close();
            t.interrupt();
        }
    }

    @Test
    void theProtectedResourceMetadataNamesTheHub() throws Exception {
        HttpResponse<String> res = hub.http.send(HttpRequest.newBuilder(
                hub.url("/.well-known/oauth-protected-resource/.well-known/mercure")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode doc = new ObjectMapper().readTree(res.body());
        assertThat(doc.get("resource").asText()).isEqualTo(AccessTokens.HUB_URL);
        assertThat(doc.get("authorization_details_types_supported").get(0).asText()).isEqualTo(AccessTokens.TYPE);
        assertThat(doc.get("bearer_methods_supported").get(0).asText()).isEqualTo("header");
        assertThat(doc.get("mercure_cookie").asText()).isEqualTo("__Secure-mercure_access_token");
    }

    @Test
    void withoutAHubUrlAccessTokensAreRefusedWithTheFix() throws Exception {
        try (TestHub bare = TestHub.start(b -> b.subscriberJwt(TestHub.SECRET, "HS256").trustedIssuers(List.of(AccessTokens.TRUSTED)))) {
            HttpResponse<String> res = bare.subscribeRefused("match=a", "Authorization",
                    auth(AccessTokens.subscriber("*")));
            assertThat(res.statusCode()).isEqualTo(401);
            assertThat(res.body()).contains("--hub-url");
        }
    }
}
