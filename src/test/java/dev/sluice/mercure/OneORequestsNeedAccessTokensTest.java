package dev.sluice.mercure;

import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mercure 1.0 requires {@code typ: at+jwt} so that no other JWT is taken for an access token. A
 * request that uses Mercure 1.0 (its matchers, {@code last_event_id}, the QUERY method, or the
 * access token cookie) must present an access token: a JWT without that {@code typ} gets 401
 * {@code invalid_token} with a description, instead of being read as a 0.x token. Requests
 * shaped as 0.x accept both kinds, as before.
 */
class OneORequestsNeedAccessTokensTest {

    static final String COOKIE = "__Secure-mercure_access_token";
    static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.subscriberJwt(TestHub.SECRET, "HS256").hubUrl(AccessTokens.HUB_URL)
                .trustedIssuers(List.of(AccessTokens.TRUSTED)).publishOrigins(List.of("https://app.example")));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void aZeroXTokenOnAOneORequestIsAnInvalidTokenWithADescription() throws Exception {
        String zeroX = TestHub.subscriber("*");
        Map<String, HttpResponse<String>> refused = new LinkedHashMap<>();
        refused.put("match=", hub.subscribeRefused("match=a", "Authorization", "Bearer " + zeroX));
        refused.put("match_exact=", hub.subscribeRefused("match_exact=a", "Authorization", "Bearer " + zeroX));
        refused.put("match_urlpattern=", hub.subscribeRefused("match_urlpattern=" + q("https://example.com/*"),
                "Authorization", "Bearer " + zeroX));
        refused.put("topic= with last_event_id=", hub.subscribeRefused("topic=a&last_event_id=x", "Authorization",
                "Bearer " + zeroX));
        refused.put("QUERY with topic=", hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                .header("Authorization", "Bearer " + zeroX)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .method("QUERY", HttpRequest.BodyPublishers.ofString("topic=a")).build(),
                HttpResponse.BodyHandlers.ofString()));
        refused.put("match= with the 0.x cookie", hub.subscribeRefused("match=a", "Cookie", "mercureAuthorization=" + zeroX));
        for (Map.Entry<String, HttpResponse<String>> r : refused.entrySet()) {
            HttpResponse<String> res = r.getValue();
            assertThat(res.statusCode()).as(r.getKey()).isEqualTo(401);
            assertThat(res.body()).as(r.getKey()).startsWith("Invalid subscriber token: a Mercure 1.0 request (match,"
                    + " match_exact, match_urlpattern, last_event_id or the QUERY method) needs an access token, which"
                    + " must have typ at+jwt");
            assertThat(res.headers().firstValue("WWW-Authenticate").orElseThrow()).as(r.getKey())
                    .startsWith("Bearer realm=\"mercure\", error=\"invalid_token\", error_description=\"a Mercure 1.0"
                            + " request")
                    .contains("must have typ at+jwt")
                    .contains("resource_metadata=\"https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure\"");
        }
    }

    @Test
    void theAccessTokenCookieHoldsAccessTokensOnlyWhateverTheRequest() throws Exception {
        String zeroX = TestHub.subscriber("*");
        HttpResponse<String> subscribe = hub.subscribeRefused("topic=a", "Cookie", COOKIE + "=" + zeroX);
        assertThat(subscribe.statusCode()).isEqualTo(401);
        assertThat(subscribe.body()).isEqualTo("Invalid subscriber token: the " + COOKIE + " cookie holds Mercure 1.0"
                + " access tokens, which must have typ at+jwt; this JWT has none, so it would be read as a Mercure 0.x"
                + " token\n");
        HttpResponse<String> publish = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                .header("Cookie", COOKIE + "=" + TestHub.publisher())
                .header("Origin", "https://app.example")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("topic=a&data=x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(publish.statusCode()).isEqualTo(401);
        assertThat(publish.body()).startsWith("Invalid publisher token: the " + COOKIE + " cookie holds Mercure 1.0");
        assertThat(publish.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"invalid_token\", error_description=\"the " + COOKIE + " cookie");

        HttpResponse<String> accepted = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                .header("Cookie", COOKIE + "=" + AccessTokens.publisher())
                .header("Origin", "https://app.example")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("topic=a&data=x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
    }

    @Test
    void zeroXShapedRequestsAcceptBothKindsOfToken() throws Exception {
        String topic = "https://example.com/both/" + System.nanoTime();
        try (SseStream zeroX = hub.subscribe("topic=" + q(topic), "Authorization", "Bearer " + TestHub.subscriber("*"));
             SseStream oneOToken = hub.subscribe("topic=" + q(topic), "Authorization",
                     "Bearer " + AccessTokens.subscriber("*"));
             SseStream zeroXCookie = hub.subscribe("topic=" + q(topic), "Cookie",
                     "mercureAuthorization=" + TestHub.subscriber("*"));
             SseStream oneO = hub.subscribe("match=" + q(topic), "Authorization", "Bearer " + AccessTokens.subscriber("*"))) {
            HttpResponse<String> byAccessToken = hub.publish(AccessTokens.publisher(),
                    TestHub.form("topic", topic, "data", "private", "private", "on"));
            assertThat(byAccessToken.statusCode()).isEqualTo(200);
            for (SseStream s : List.of(zeroX, oneOToken, zeroXCookie, oneO)) {
                assertThat(s.next().data()).isEqualTo("private");
            }
        }
    }
}
