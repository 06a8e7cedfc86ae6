package dev.sluice.edge;

import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.hub.CloseCause;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Options that change what clients see: a separate subscriber key, CORS for an allowed origin,
 * the subscriber limit, throttle windows per topic, and the limit on conflated keys held for one
 * slow subscriber.
 */
@OnEveryIoKind
class HubOptionsTest {

    private static final String SUBSCRIBER_KEY = "a-separate-subscriber-key-0123456789-abcdefghij";

    @Parameter
    IoKind io;

    private static String signedWith(String key, List<String> publish, List<String> subscribe) {
        return TokenIssuer.hmac(JwtAlgorithm.HS256, key.getBytes(StandardCharsets.UTF_8), publish, subscribe, null);
    }

    @Test
    void aSeparateSubscriberKeySignsSubscriptionsAndOnlyThem() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.subscriberJwt(SUBSCRIBER_KEY, "HS256"))) {
            String bySubscriberKey = signedWith(SUBSCRIBER_KEY, List.of(), List.of("t"));
            try (SseStream s = hub.subscribe("topic=t", "Authorization", "Bearer " + bySubscriberKey)) {
                String id = hub.publishOk("topic", "t", "data", "x");
                assertThat(s.next().id()).isEqualTo(id);
            }
            // The publisher key no longer signs subscriptions...
            HttpResponse<String> refused = hub.subscribeRefused("topic=t", "Authorization",
                    "Bearer " + TestHub.subscriber("t"));
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).contains("signature");
            // ...and the subscriber key does not sign publications.
            HttpResponse<String> publish = hub.publish(signedWith(SUBSCRIBER_KEY, List.of("*"), List.of()),
                    TestHub.form("topic", "t", "data", "y"));
            assertThat(publish.statusCode()).isEqualTo(401);
            assertThat(publish.body()).contains("signature");
        }
    }

    @Test
    void anAllowedOriginIsEchoedWithCredentialsOnPreflightStreamAndPublish() throws Exception {
        String origin = "https://app.example";
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).corsOrigins(List.of(origin)))) {
            HttpResponse<String> pre = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", origin)
                    .header("Access-Control-Request-Method", "GET")
                    .header("Access-Control-Request-Headers", "last-event-id").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(pre.statusCode()).isEqualTo(204);
            assertThat(pre.headers().firstValue("access-control-allow-origin")).hasValue(origin);
            assertThat(pre.headers().firstValue("access-control-allow-credentials")).hasValue("true");
            assertThat(pre.headers().firstValue("access-control-allow-methods").orElse("")).contains("GET").contains("POST");
            assertThat(pre.headers().firstValue("access-control-allow-headers").orElse(""))
                    .contains("last-event-id").contains("authorization");

            try (SseStream s = hub.subscribe("topic=c", "Origin", origin)) {
                assertThat(s.header("access-control-allow-origin")).isEqualTo(origin);
                assertThat(s.header("access-control-allow-credentials")).isEqualTo("true");
                HttpResponse<String> pub = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                        .header("Origin", origin).header("Authorization", "Bearer " + TestHub.publisher())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "c", "data", "x"))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(pub.statusCode()).isEqualTo(200);
                assertThat(pub.headers().firstValue("access-control-allow-origin")).hasValue(origin);
                assertThat(s.next().id()).isEqualTo(pub.body());
            }
            // Another origin gets nothing to echo.
            try (SseStream other = hub.subscribe("topic=c", "Origin", "https://elsewhere.example")) {
                assertThat(other.header("access-control-allow-origin")).isNull();
            }
        }
    }

    @Test
    void pastTheSubscriberLimitASubscriptionIsRefusedWith503UntilOneLeaves() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).maxSubscribers(2));
             SseStream a = hub.subscribe("topic=m");
             SseStream b = hub.subscribe("topic=m")) {
            assertThatThrownBy(() -> hub.subscribe("topic=m")).hasMessageContaining("subscribe answered 503")
                    .hasMessageContaining("--max-subscribers").hasMessageContaining("(2,");
            a.close();
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
            try (SseStream c = hub.subscribe("topic=m")) {
                String id = hub.publishOk("topic", "m", "data", "x");
                assertThat(c.next().id()).isEqualTo(id);
                assertThat(b.next().id()).isEqualTo(id);
            }
        }
    }

    /**
     * Each throttled topic has its own window: while one topic's window holds an update, another
     * topic of the same rule, and a topic of another rule, go out at once. The interval is far
     * longer than the test, so no window closes during it.
     */
    @Test
    void throttleWindowsArePerTopic() throws Exception {
        Duration longWindow = Duration.ofMinutes(30);
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true)
                .throttle(Map.of("prices/{sym}", longWindow, "rates/{pair}", longWindow)));
             SseStream s = hub.subscribe("topic=" + q("prices/{sym}") + "&topic=" + q("rates/{pair}") + "&topic=other")) {
            String acme1 = hub.publishOk("topic", "prices/ACME", "data", "acme1");
            hub.publishOk("topic", "prices/ACME", "data", "acme2"); // held: ACME's window is open
            hub.publishOk("topic", "prices/ACME", "data", "acme3"); // replaces acme2
            String xyz1 = hub.publishOk("topic", "prices/XYZ", "data", "xyz1");
            hub.publishOk("topic", "prices/XYZ", "data", "xyz2"); // held
            hub.publishOk("topic", "prices/XYZ", "data", "xyz3"); // replaces xyz2
            String rate = hub.publishOk("topic", "rates/EURUSD", "data", "r1");
            String marker = hub.publishOk("topic", "other", "data", "marker");
            assertThat(s.take(4)).extracting(SseEvent::id).containsExactly(acme1, xyz1, rate, marker);
            assertThat(hub.gateway.hub().stats().throttled()).as("updates replaced in a window").isEqualTo(2);
        }
    }

    /**
     * A conflating subscriber that reads nothing holds one pending update per key; past 10,000
     * distinct keys it is cut like any slow subscriber, so its memory stays bounded.
     */
    @Test
    void aSlowConflatingSubscriberIsCutPastTheKeyLimit() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).conflate(List.of("k/{n}")).slowClientGrace(Duration.ofMillis(300)));
             Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()));
            slow.getOutputStream().write(("GET /.well-known/mercure?topic=" + q("k/{n}") + " HTTP/1.0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
            // Large updates first, so that the socket stops taking writes and updates are held.
            String pad = "k".repeat(4000);
            int published = 0;
            for (; published < 2000; published++) {
                hub.publishOk("topic", "k/" + published, "data", pad);
            }
            int limit = 10_000;
            for (; published < 2000 + limit + 10 && hub.gateway.hub().stats().slowDisconnects() == 0; published++) {
                hub.publishOk("topic", "k/" + published, "data", "small");
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(
                    () -> assertThat(hub.gateway.hub().stats().closed(CloseCause.SLOW)).isEqualTo(1));
            assertThat(published).as("distinct keys published before the cut").isGreaterThan(limit);
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 0);
        }
    }
}
