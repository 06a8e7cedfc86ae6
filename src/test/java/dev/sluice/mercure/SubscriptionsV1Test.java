package dev.sluice.mercure;

import static dev.sluice.mercure.AccessTokens.detail;
import static dev.sluice.mercure.AccessTokens.match;
import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.subscriptions.SubscriptionPaths;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Active subscriptions in the Mercure 1.0 shapes beside the 0.x ones: events under the SSE type
 * {@code mercure} on {@code /subscriptions/{match_type}/{match}/{subscriber}}, the payload of the
 * first matching subscribe detail, and the API with its cursor on the Link header.
 */
class SubscriptionsV1Test {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void oneOSubscriptionsHaveOneOEventsAndApi() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.subscriberJwt(TestHub.SECRET, "HS256").trustedIssuers(List.of(AccessTokens.TRUSTED)).hubUrl(AccessTokens.HUB_URL)
                .subscriptions(true))) {
            // The collection URL is matched as a topic too, so the watcher is also granted it exactly.
            String watcherToken = AccessTokens.token(List.of(detail(List.of("subscribe"),
                    List.of(match("/.well-known/mercure/subscriptions/*", "urlpattern"),
                            match(SubscriptionPaths.COLLECTION, "exact")))));
            Map<String, Object> books = new LinkedHashMap<>(detail(List.of("subscribe"),
                    List.of(match("https://example.com/books/:id", "urlpattern"))));
            books.put("payload", Map.of("tenant", "t1"));
            Map<String, Object> fallback = new LinkedHashMap<>(detail(List.of("subscribe"), List.of(match("*", null))));
            fallback.put("payload", Map.of("tenant", "default"));
            String subscriberToken = AccessTokens.token(List.of(books, fallback));

            try (SseStream watcher = hub.subscribe("match_urlpattern=" + q("/.well-known/mercure/subscriptions/*"),
                    "Authorization", "Bearer " + watcherToken)) {
                SseStream subscriber = hub.subscribe("match_urlpattern=" + q("https://example.com/books/:id")
                        + "&match=" + q("https://example.com/news"), "Authorization", "Bearer " + subscriberToken);
                JsonNode started = null;
                JsonNode other = null;
                for (int i = 0; i < 2; i++) {
                    SseEvent e = watcher.next();
                    assertThat(e.type()).isEqualTo("mercure");
                    JsonNode doc = JSON.readTree(e.data());
                    if (doc.get("match_type").asText().equals("urlpattern")) {
                        started = doc;
                    } else {
                        other = doc;
                    }
                }
                assertThat(started).isNotNull();
                assertThat(started.get("type").asText()).isEqualTo("subscription");
                assertThat(started.get("match").asText()).isEqualTo("https://example.com/books/:id");
                assertThat(started.get("active").asBoolean()).isTrue();
                assertThat(started.get("payload").get("tenant").asText()).isEqualTo("t1");
                String subscriberId = started.get("subscriber").asText();
                assertThat(started.get("id").asText()).isEqualTo(SubscriptionPaths.PREFIX + "urlpattern/"
                        + SubscriptionPaths.encode("https://example.com/books/:id") + "/"
                        + SubscriptionPaths.encode(subscriberId));
                assertThat(other.get("match_type").asText()).isEqualTo("exact");
                assertThat(other.get("payload").get("tenant").asText()).isEqualTo("default");
                assertThat(other.get("subscriber").asText()).isEqualTo(subscriberId);

                HttpResponse<String> all = get(hub, SubscriptionPaths.COLLECTION, watcherToken);
                assertThat(all.statusCode()).isEqualTo(200);
                assertThat(all.headers().firstValue("Content-Type")).hasValue("application/json");
                assertThat(all.headers().firstValue("Link").orElseThrow())
                        .startsWith("<" + AccessTokens.HUB_URL + ">; rel=\"mercure\"; last-event-id=\"")
                        .contains("type=\"mercure\"");
                JsonNode list = JSON.readTree(all.body());
                assertThat(list.get("type").asText()).isEqualTo("subscriptions");
                assertThat(list.get("subscriptions")).hasSize(3); // the watcher's own and the subscriber's two

                HttpResponse<String> one = get(hub, started.get("id").asText(), watcherToken);
                assertThat(one.statusCode()).isEqualTo(200);
                assertThat(JSON.readTree(one.body())).isEqualTo(withoutNode(started));
                HttpResponse<String> byMatcher = get(hub, SubscriptionPaths.PREFIX + "urlpattern/"
                        + SubscriptionPaths.encode("https://example.com/books/:id"), watcherToken);
                assertThat(JSON.readTree(byMatcher.body()).get("subscriptions")).hasSize(1);
                assertThat(get(hub, SubscriptionPaths.PREFIX + "exact/x/y", watcherToken).statusCode()).isEqualTo(404);
                assertThat(get(hub, SubscriptionPaths.COLLECTION, subscriberToken).statusCode()).isEqualTo(200);
                String narrow = AccessTokens.token(List.of(detail(List.of("subscribe"),
                        List.of(match("https://example.com/books/:id", "urlpattern")))));
                assertThat(get(hub, SubscriptionPaths.COLLECTION, narrow).statusCode()).isEqualTo(403);

                subscriber.close();
                for (int i = 0; i < 2; i++) {
                    SseEvent e = watcher.next();
                    assertThat(e.type()).isEqualTo("mercure");
                    assertThat(JSON.readTree(e.data()).get("active").asBoolean()).isFalse();
                }
            }
        }
    }

    private static JsonNode withoutNode(JsonNode event) {
        var copy = event.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) copy).remove("node");
        return copy;
    }

    private static HttpResponse<String> get(TestHub hub, String path, String token) throws Exception {
        return hub.http.send(HttpRequest.newBuilder(hub.url(path)).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
