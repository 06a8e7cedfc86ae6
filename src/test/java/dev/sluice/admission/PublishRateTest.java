package dev.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TestHub;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --publish-rate-per-ip and --publish-rate-per-token over real sockets. */
class PublishRateTest {

    private static final String HUB = "/.well-known/mercure";

    @Test
    void aClientPastItsRateGets429WithRetryAfterWhileOthersPublish() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.publishRatePerIp("3/h"))) {
            int port = hub.gateway.port();
            String body = TestHub.form("topic", "a", "data", "x");
            String auth = "Authorization: Bearer " + TestHub.publisher();
            for (int i = 0; i < 3; i++) {
                try (RawClient ok = RawClient.send("127.0.0.30", port, "POST", HUB, body, auth)) {
                    assertThat(ok.status).as("publish %d", i + 1).isEqualTo(200);
                }
            }
            try (RawClient over = RawClient.send("127.0.0.30", port, "POST", HUB, body, auth)) {
                assertThat(over.status).isEqualTo(429);
                assertThat(Long.parseLong(over.headers.get("retry-after"))).isBetween(1L, 1200L);
                assertThat(over.headers.get("content-type")).startsWith("text/plain");
                assertThat(over.body).contains("127.0.0.30").contains("--publish-rate-per-ip").contains("3/h");
            }
            try (RawClient other = RawClient.send("127.0.0.31", port, "POST", HUB, body, auth)) {
                assertThat(other.status).isEqualTo(200);
            }
            // Subscribing is not rate limited.
            try (RawClient sub = RawClient.subscribe("127.0.0.30", port, "topic=a",
                    "Authorization: Bearer " + TestHub.subscriber("a"))) {
                assertThat(sub.status).isEqualTo(200);
            }
            assertThat(ConnectionsPerIpTest.refused(hub, "publish_rate_ip")).isEqualTo(1.0);
        }
    }

    @Test
    void eachTokenHasItsOwnRateWhereverItComesFrom() throws Exception {
        // A publish authenticated by the cookie must come from an allowed origin (CSRF).
        String origin = "https://app.example";
        try (TestHub hub = TestHub.start(b -> b.publishRatePerToken("2/h").publishOrigins(List.of(origin)))) {
            int port = hub.gateway.port();
            String body = TestHub.form("topic", "a", "data", "x");
            String first = TestHub.token(List.of("*"), List.of());
            String second = TestHub.token(List.of("a", "*"), List.of());
            assertThat(second).isNotEqualTo(first);
            try (RawClient a = RawClient.send("127.0.0.32", port, "POST", HUB, body, "Authorization: Bearer " + first);
                 RawClient b = RawClient.send("127.0.0.33", port, "POST", HUB, body, "Cookie: mercureAuthorization=" + first,
                         "Origin: " + origin)) {
                assertThat(a.status).isEqualTo(200);
                assertThat(b.status).isEqualTo(200);
            }
            try (RawClient over = RawClient.send("127.0.0.34", port, "POST", HUB, body, "Authorization: Bearer " + first)) {
                assertThat(over.status).isEqualTo(429);
                assertThat(Long.parseLong(over.headers.get("retry-after"))).isBetween(1L, 1800L);
                assertThat(over.body).contains("--publish-rate-per-token").doesNotContain(first);
            }
            try (RawClient other = RawClient.send("127.0.0.34", port, "POST", HUB, body, "Authorization: Bearer " + second)) {
                assertThat(other.status).isEqualTo(200);
            }
            // Without a token there is no token bucket: authentication answers.
            try (RawClient none = RawClient.send("127.0.0.34", port, "POST", HUB, body)) {
                assertThat(none.status).isEqualTo(401);
            }
            assertThat(ConnectionsPerIpTest.refused(hub, "publish_rate_token")).isEqualTo(1.0);
            assertThat(ConnectionsPerIpTest.refused(hub, "publish_rate_ip")).isEqualTo(0.0);
        }
    }
}
