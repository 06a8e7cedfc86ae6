package dev.sluice.mercure;

import static dev.sluice.mercure.AccessTokens.detail;
import static dev.sluice.mercure.AccessTokens.match;
import static dev.sluice.support.TestHub.form;
import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.subscriptions.SubscriptionPaths;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Mercure 1.0 rules for access tokens and their answers, over real sockets: how each shape of
 * {@code authorization_details} is read or refused, the RFC 6750 challenges of the subscriptions
 * API, what a publish answers, and what the protected-resource metadata says about the hub.
 */
class AccessTokenRulesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ORIGIN = "https://app.example";
    private static final String METADATA = "resource_metadata=\"https://hub.example/.well-known/oauth-protected-resource"
            + "/.well-known/mercure\"";
    private static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.subscriberJwt(TestHub.SECRET, "HS256").trustedIssuers(List.of(AccessTokens.TRUSTED)).hubUrl(AccessTokens.HUB_URL)
                .subscriptions(true).corsOrigins(List.of(ORIGIN)));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    private static Map<String, Object> with(Map<String, Object> detail, String key, Object value) {
        Map<String, Object> d = new LinkedHashMap<>(detail);
        if (value == null) {
            d.remove(key);
        } else {
            d.put(key, value);
        }
        return d;
    }

    private static void assertInvalidToken(List<?> details, String reason) throws Exception {
        HttpResponse<String> res = hub.subscribeRefused("match=a", "Authorization",
                "Bearer " + AccessTokens.token(details));
        assertThat(res.statusCode()).as(reason).isEqualTo(401);
        assertThat(res.headers().firstValue("WWW-Authenticate").orElseThrow()).as(reason)
                .contains("error=\"invalid_token\"");
        assertThat(res.body()).as(reason).contains(reason);
    }

    @Test
    void aMalformedMercureDetailRefusesTheWholeToken() throws Exception {
        Map<String, Object> good = detail(List.of("subscribe"), List.of(match("*", null)));
        // Each is refused although another, valid detail grants everything: no partial acceptance.
        assertInvalidToken(List.of(good, with(good, "actions", List.of())), "actions must be a non-empty array");
        assertInvalidToken(List.of(good, with(good, "actions", null)), "actions must be a non-empty array");
        assertInvalidToken(List.of(good, with(good, "actions", List.of("subscribe", 7))), "actions[1] must be a string");
        assertInvalidToken(List.of(good, with(good, "topics", List.of())), "topics must be a non-empty array");
        assertInvalidToken(List.of(good, with(good, "topics", List.of("https://example.com/a"))),
                "topics[0] must be an object");
        assertInvalidToken(List.of(good, with(good, "topics", List.of(Map.of("match_type", "exact")))),
                "topics[0].match must be a non-empty string");
        assertInvalidToken(List.of(good, with(good, "topics", List.of(match("a", "Exact")))),
                "'Exact' is not a matcher type this hub supports");
        assertInvalidToken(List.of(good, with(good, "payload", "not an object")), "payload must be a JSON object");
        assertInvalidToken(List.of(good, "not an object"), "authorization_details[1] must be a JSON object");
        List<Object> tooMany = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            tooMany.add(good);
        }
        assertInvalidToken(tooMany, "more than 64 Mercure authorization details");
        List<Object> manyTopics = new ArrayList<>();
        for (int i = 0; i < 257; i++) {
            manyTopics.add(match("t" + i, null));
        }
        assertInvalidToken(List.of(with(good, "topics", manyTopics)), "at most 256 are accepted");
    }

    @Test
    void unknownActionsAndOtherTypesGrantNothingButDoNotInvalidateTheToken() throws Exception {
        String topic = "https://example.com/actions/" + System.nanoTime();
        Map<String, Object> future = detail(List.of("frobnicate"), List.of(match("*", null)));
        Map<String, Object> otherApi = with(detail(List.of("subscribe"), List.of(match("*", null))),
                "type", "https://Mercure.rocks/authorization-detail"); // compared byte by byte: not ours
        Map<String, Object> mixed = detail(List.of("frobnicate", "subscribe"), List.of(match(topic, null)));
        try (SseStream none = hub.subscribe("match=" + q(topic), "Authorization",
                "Bearer " + AccessTokens.token(List.of(future, otherApi)));
             SseStream some = hub.subscribe("match=" + q(topic), "Authorization",
                     "Bearer " + AccessTokens.token(List.of(mixed)))) {
            hub.publishOk("topic", topic, "data", "private", "private", "on");
            hub.publishOk("topic", topic, "data", "public");
            assertThat(some.next().data()).isEqualTo("private");
            assertThat(some.next().data()).isEqualTo("public");
            assertThat(none.next().data()).isEqualTo("public");
        }
        HttpResponse<String> publish = hub.publish(AccessTokens.token(List.of(future)), form("topic", topic));
        assertThat(publish.statusCode()).isEqualTo(403);
        assertThat(publish.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"insufficient_scope\"");
    }

    @Test
    void typIsComparedWithoutItsApplicationPrefixAndCaseInsensitively() throws Exception {
        String topic = "https://example.com/typ/" + System.nanoTime();
        String token = AccessTokens.sign("application/AT+JWT", AccessTokens.claims(List.of(
                detail(List.of("subscribe"), List.of(match(topic, null))))).build());
        try (SseStream s = hub.subscribe("match=" + q(topic), "Authorization", "Bearer " + token)) {
            hub.publishOk("topic", topic, "data", "private", "private", "on");
            assertThat(s.next().data()).isEqualTo("private");
        }
    }

    @Test
    void anAccessTokenBeforeItsNbfIsAnInvalidToken() throws Exception {
        String early = AccessTokens.sign("at+jwt", AccessTokens.claims(List.of())
                .notBeforeTime(Date.from(Instant.now().plusSeconds(3600))).build());
        HttpResponse<String> res = hub.subscribeRefused("match=a", "Authorization", "Bearer " + early);
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
        assertThat(res.body()).contains("not valid before");
    }

    @Test
    void anAccessTokenWithoutIssOrAudIsAnInvalidToken() throws Exception {
        String noIss = AccessTokens.sign("at+jwt", AccessTokens.claims(List.of()).issuer(null).build());
        String noAud = AccessTokens.sign("at+jwt", AccessTokens.claims(List.of()).audience((String) null).build());
        for (String[] c : new String[][] {{noIss, "no iss claim"}, {noAud, "no aud claim"}}) {
            HttpResponse<String> res = hub.subscribeRefused("match=a", "Authorization", "Bearer " + c[0]);
            assertThat(res.statusCode()).as(c[1]).isEqualTo(401);
            assertThat(res.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
            assertThat(res.body()).contains(c[1]);
        }
    }

    @Test
    void anUpdateWithOneTopicThePublisherMayNotUseIsNotDispatchedAtAll() throws Exception {
        String allowed = "https://example.com/allowed/" + System.nanoTime();
        String other = "https://example.com/other/" + System.nanoTime();
        String publisher = AccessTokens.token(List.of(detail(List.of("publish"), List.of(match(allowed, null)))));
        try (SseStream s = hub.subscribe("match=" + q(allowed) + "&match=" + q(other), "Authorization",
                "Bearer " + AccessTokens.subscriber("*"))) {
            HttpResponse<String> res = hub.publish(publisher, form("topic", allowed, "topic", other, "data", "both"));
            assertThat(res.statusCode()).isEqualTo(403);
            assertThat(res.headers().firstValue("WWW-Authenticate").orElseThrow())
                    .contains("error=\"insufficient_scope\"");
            assertThat(hub.publish(publisher, form("topic", allowed, "data", "only allowed")).statusCode())
                    .isEqualTo(200);
            assertThat(s.next().data()).isEqualTo("only allowed");
        }
    }

    @Test
    void replayedPrivateUpdatesAreCheckedAgainstTheCurrentToken() throws Exception {
        String topic = "https://example.com/replay/" + System.nanoTime();
        String before = hub.publishOk("topic", topic, "data", "public before");
        hub.publishOk("topic", topic, "data", "private", "private", "on");
        hub.publishOk("topic", topic, "data", "public after");
        String query = "match=" + q(topic) + "&last_event_id=" + q(before);
        String reader = AccessTokens.token(List.of(detail(List.of("subscribe"), List.of(match(topic, null)))));
        String stranger = AccessTokens.token(List.of(detail(List.of("subscribe"),
                List.of(match("https://example.com/elsewhere", null)))));
        try (SseStream s = hub.subscribe(query, "Authorization", "Bearer " + stranger)) {
            assertThat(s.next().data()).isEqualTo("public after");
        }
        try (SseStream s = hub.subscribe(query, "Authorization", "Bearer " + reader)) {
            assertThat(s.next().data()).isEqualTo("private");
            assertThat(s.next().data()).isEqualTo("public after");
        }
    }

    @Test
    void theQueryComponentsLastEventIdWinsOverTheBodysAndTheMatchersAreTheUnion() throws Exception {
        String a = "https://example.com/union/a/" + System.nanoTime();
        String b = "https://example.com/union/b/" + System.nanoTime();
        String first = hub.publishOk("topic", a, "data", "a1");
        String second = hub.publishOk("topic", b, "data", "b1");
        hub.publishOk("topic", a, "data", "a2");
        HttpRequest r = HttpRequest.newBuilder(hub.url("/.well-known/mercure?match=" + q(a) + "&last_event_id="
                        + q(first)))
                .header("Authorization", "Bearer " + AccessTokens.subscriber("*"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .method("QUERY", HttpRequest.BodyPublishers.ofString("match=" + q(b) + "&last_event_id=" + q(second)))
                .build();
        HttpResponse<java.io.InputStream> res = hub.http.send(r, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Mercure-Last-Event-ID")).hasValue(first);
        try (SseStream s = new SseStream(res)) {
            // Resumed after a1 (the query's cursor), on both the query's and the body's matcher.
            assertThat(s.next().data()).isEqualTo("b1");
            assertThat(s.next().data()).isEqualTo("a2");
        }
    }

    @Test
    void theLastEventIdHeaderWinsOverTheParameterAndPlusIsASpace() throws Exception {
        String topic = "https://example.com/plus/a b/" + System.nanoTime();
        String first = hub.publishOk("topic", topic, "data", "one");
        String second = hub.publishOk("topic", topic, "data", "two");
        hub.publishOk("topic", topic, "data", "three");
        // q() encodes the space as '+', which form-urlencoded parsing turns back into a space.
        assertThat(q(topic)).contains("+");
        try (SseStream s = hub.subscribe("match=" + q(topic) + "&last_event_id=" + q(first),
                "Authorization", "Bearer " + AccessTokens.subscriber("*"), "Last-Event-ID", second)) {
            assertThat(s.header("Mercure-Last-Event-ID")).isEqualTo(second);
            assertThat(s.next().data()).isEqualTo("three");
        }
    }

    @Test
    void subscriberIdentifiersAreTheHubsOwnOnePerConnection() throws Exception {
        String topic = "https://example.com/ids/" + System.nanoTime();
        String reader = AccessTokens.subscriber("*");
        try (SseStream a = hub.subscribe("match=" + q(topic) + "&subscriber=" + q("urn:forged"),
                "Authorization", "Bearer " + reader, "Mercure-Subscriber", "urn:forged");
             SseStream b = hub.subscribe("match=" + q(topic), "Authorization", "Bearer " + reader)) {
            JsonNode list = JSON.readTree(get(SubscriptionPaths.PREFIX + "exact/" + SubscriptionPaths.encode(topic),
                    reader).body()).get("subscriptions");
            assertThat(list).hasSize(2);
            String first = list.get(0).get("subscriber").asText();
            String second = list.get(1).get("subscriber").asText();
            assertThat(first).isNotEqualTo(second).startsWith("urn:uuid:");
            assertThat(second).startsWith("urn:uuid:");
        }
    }

    @Test
    void subscriptionEventsArePrivate() throws Exception {
        String marker = "https://example.com/marker/" + System.nanoTime();
        String events = "match_urlpattern=" + q("/.well-known/mercure/subscriptions/*") + "&match=" + q(marker);
        try (SseStream outsider = hub.subscribe(events, "Authorization",
                "Bearer " + AccessTokens.subscriber("https://example.com/*"));
             SseStream insider = hub.subscribe(events, "Authorization", "Bearer " + AccessTokens.subscriber("*"));
             SseStream other = hub.subscribe("match=" + q(marker + "/other"), "Authorization",
                     "Bearer " + AccessTokens.subscriber("*"))) {
            // The insider sees the event of the other subscription; only then the marker is sent.
            String otherEvent = marker + "/other";
            long deadline = System.nanoTime() + 10_000_000_000L;
            boolean seen = false;
            while (!seen && System.nanoTime() < deadline) {
                var e = insider.poll(Duration.ofSeconds(1));
                seen = e != null && "mercure".equals(e.type()) && e.data().contains("\"" + otherEvent + "\"");
            }
            assertThat(seen).as("the authorised watcher got the subscription event").isTrue();
            hub.publishOk("topic", marker, "data", "marker");
            assertThat(outsider.next().data()).isEqualTo("marker");
        }
    }

    @Test
    void theSubscriptionsApiAnswersWithRfc6750Challenges() throws Exception {
        String narrow = AccessTokens.token(List.of(detail(List.of("subscribe"),
                List.of(match("https://example.com/books/:id", "urlpattern")))));
        HttpResponse<String> forbidden = get(SubscriptionPaths.COLLECTION, narrow);
        assertThat(forbidden.statusCode()).isEqualTo(403);
        assertThat(forbidden.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"insufficient_scope\"").contains(METADATA);

        String wrongAudience = AccessTokens.sign("at+jwt", AccessTokens.claims(List.of())
                .audience("https://other-hub.example/.well-known/mercure").build());
        HttpResponse<String> invalid = get(SubscriptionPaths.COLLECTION, wrongAudience);
        assertThat(invalid.statusCode()).isEqualTo(401);
        assertThat(invalid.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"")
                .contains(METADATA);

        HttpResponse<String> none = get(SubscriptionPaths.COLLECTION, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer")
                .doesNotContain("error=").contains(METADATA);
    }

    @Test
    void everySubscriptionsApiAnswerCarriesTheCursorLinkExposedToOtherOrigins() throws Exception {
        String topic = "https://example.com/api/" + System.nanoTime();
        String reader = AccessTokens.subscriber("*");
        try (SseStream s = hub.subscribe("match=" + q(topic), "Authorization", "Bearer " + reader)) {
            HttpResponse<String> all = get(SubscriptionPaths.COLLECTION, reader, ORIGIN);
            JsonNode collection = JSON.readTree(all.body());
            assertThat(collection.get("id").asText()).isEqualTo(SubscriptionPaths.COLLECTION);
            assertThat(collection.get("type").asText()).isEqualTo("subscriptions");
            String one = null;
            for (JsonNode sub : collection.get("subscriptions")) {
                if (sub.get("match").asText().equals(topic)) {
                    one = sub.get("id").asText();
                }
            }
            assertThat(one).as("the subscription is listed").isNotNull();
            String byMatcher = SubscriptionPaths.PREFIX + "exact/" + SubscriptionPaths.encode(topic);
            for (String path : List.of(SubscriptionPaths.COLLECTION, byMatcher, one)) {
                HttpResponse<String> res = get(path, reader, ORIGIN);
                assertThat(res.statusCode()).as(path).isEqualTo(200);
                assertThat(res.headers().firstValue("Content-Type")).as(path).hasValue("application/json");
                assertThat(res.headers().firstValue("Link").orElseThrow()).as(path)
                        .contains("rel=\"mercure\"").contains("last-event-id=\"")
                        .contains("type=\"mercure\"").contains("content-type=\"application/json\"");
                assertThat(res.headers().firstValue("Access-Control-Allow-Origin")).as(path).hasValue(ORIGIN);
                assertThat(res.headers().firstValue("Access-Control-Expose-Headers")).as(path).hasValue("Link");
            }
            assertThat(JSON.readTree(get(byMatcher, reader, ORIGIN).body()).get("id").asText()).isEqualTo(byMatcher);
        }
    }

    @Test
    void publishChallengesPointToTheMetadata() throws Exception {
        HttpResponse<String> none = hub.publish(null, form("topic", "https://example.com/p"));
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer")
                .doesNotContain("error=").contains(METADATA);
        String narrow = AccessTokens.token(List.of(detail(List.of("publish"),
                List.of(match("https://example.com/allowed", null)))));
        HttpResponse<String> scope = hub.publish(narrow, form("topic", "https://example.com/other"));
        assertThat(scope.statusCode()).isEqualTo(403);
        assertThat(scope.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"insufficient_scope\"").contains(METADATA);
        String expired = AccessTokens.sign("at+jwt", AccessTokens.claims(List.of())
                .expirationTime(Date.from(Instant.now().minusSeconds(3600))).build());
        HttpResponse<String> invalid = hub.publish(expired, form("topic", "https://example.com/p"));
        assertThat(invalid.statusCode()).isEqualTo(401);
        assertThat(invalid.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"invalid_token\"").contains(METADATA);
    }

    @Test
    void aPublishIsAnsweredWithItsIdAsUtf8Text() throws Exception {
        HttpResponse<String> res = hub.publish(AccessTokens.publisher(), form("topic", "https://example.com/p"));
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(res.body()).startsWith("urn:uuid:");
    }

    @Test
    void theMetadataSaysTheHubHasActiveSubscriptions() throws Exception {
        JsonNode doc = JSON.readTree(get("/.well-known/oauth-protected-resource/.well-known/mercure", null).body());
        assertThat(doc.get("resource").asText()).isEqualTo(AccessTokens.HUB_URL);
        assertThat(doc.get("mercure_subscriptions").asBoolean()).isTrue();
        assertThat(doc.get("mercure_matcher_types_supported").toString()).isEqualTo("[\"exact\",\"urlpattern\"]");
        try (TestHub plain = TestHub.start(b -> b.subscriberJwt(TestHub.SECRET, "HS256").trustedIssuers(List.of(AccessTokens.TRUSTED)).hubUrl(AccessTokens.HUB_URL))) {
            HttpResponse<String> res = plain.http.send(HttpRequest.newBuilder(
                    plain.url("/.well-known/oauth-protected-resource/.well-known/mercure")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(res.body()).has("mercure_subscriptions")).isFalse();
        }
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        return get(path, token, null);
    }

    private static HttpResponse<String> get(String path, String token, String origin) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(hub.url(path)).timeout(Duration.ofSeconds(10));
        if (origin != null) {
            r.header("Origin", origin);
        }
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return hub.http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
}
