package dev.sluice.admission;

import static dev.sluice.admission.ConnectionsPerIpTest.refused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TestHub;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each request limit over a real socket: just within it passes, just past it gets its status, a
 * message naming the option, and a count in {@code sluice_admission_refused_total{reason}}.
 */
class RequestLimitsTest {

    static TestHub hub;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.anonymous(true).maxUrlLength(1024).maxHeaderSize(2048)
                .maxTopicsPerSubscription(3).maxTopicsPerUpdate(2).maxIdLength(40).maxTypeLength(8)
                .maxBodySize(4096));
        port = hub.gateway.port();
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static String requestLine(String path) {
        return "GET " + path + " HTTP/1.1";
    }

    @Test
    void aRequestLineOverMaxUrlLengthGets414() throws Exception {
        // "GET " + path + " HTTP/1.1" is the line the limit counts.
        String within = "/healthz?pad=" + "x".repeat(1024 - requestLine("/healthz?pad=").length());
        assertThat(requestLine(within)).hasSize(1024);
        try (RawClient ok = RawClient.send("127.0.0.1", port, "GET", within, null)) {
            assertThat(ok.status).isEqualTo(200);
        }
        try (RawClient tooLong = RawClient.send("127.0.0.1", port, "GET", within + "x", null)) {
            assertThat(tooLong.status).isEqualTo(414);
            assertThat(tooLong.headers.get("connection")).isEqualTo("close");
            assertThat(tooLong.body).isEqualTo("The request line (method, URL and version) is longer than 1024 bytes"
                    + " (--max-url-length); send a shorter URL.\n");
            assertThat(tooLong.socket.getInputStream().read()).as("closed after the answer").isEqualTo(-1);
        }
        assertThat(refused(hub, "url_length")).isEqualTo(1.0);
    }

    @Test
    void headersOverMaxHeaderSizeGet431() throws Exception {
        try (RawClient ok = RawClient.send("127.0.0.1", port, "GET", "/healthz", null, "X-Pad: " + "p".repeat(1500))) {
            assertThat(ok.status).isEqualTo(200);
        }
        try (RawClient tooLarge = RawClient.send("127.0.0.1", port, "GET", "/healthz", null,
                "X-Pad: " + "p".repeat(1500), "X-More: " + "m".repeat(600))) {
            assertThat(tooLarge.status).isEqualTo(431);
            assertThat(tooLarge.body).isEqualTo("The request headers are larger than 2048 bytes in all"
                    + " (--max-header-size).\n");
        }
        assertThat(refused(hub, "header_size")).isEqualTo(1.0);
    }

    @Test
    void moreTopicsThanMaxTopicsPerSubscriptionGet400() throws Exception {
        try (RawClient ok = RawClient.subscribe("127.0.0.1", port, "topic=a&topic=b&topic=c")) {
            assertThat(ok.status).isEqualTo(200);
        }
        try (RawClient tooMany = RawClient.subscribe("127.0.0.1", port, "topic=a&topic=b&topic=c&topic=d")) {
            assertThat(tooMany.status).isEqualTo(400);
            assertThat(tooMany.body).isEqualTo("Too many 'topic' parameters: 4 given, at most 3 allowed"
                    + " (--max-topics-per-subscription).\n");
        }
        assertThat(refused(hub, "topics_per_subscription")).isEqualTo(1.0);
    }

    static RawClient publish(String... pairs) throws Exception {
        return RawClient.send("127.0.0.1", port, "POST", "/.well-known/mercure", TestHub.form(pairs),
                "Authorization: Bearer " + TestHub.publisher());
    }

    @Test
    void moreTopicsThanMaxTopicsPerUpdateGet413() throws Exception {
        try (RawClient ok = publish("topic", "a", "topic", "b", "data", "x")) {
            assertThat(ok.status).isEqualTo(200);
        }
        try (RawClient tooMany = publish("topic", "a", "topic", "b", "topic", "c", "data", "x")) {
            assertThat(tooMany.status).isEqualTo(413);
            assertThat(tooMany.body).isEqualTo("Too many 'topic' fields: 3 given, at most 2 allowed in one update"
                    + " (--max-topics-per-update).\n");
        }
        assertThat(refused(hub, "topics_per_update")).isEqualTo(1.0);
    }

    @Test
    void idsAndTypesOverTheirLimitsGet413() throws Exception {
        try (RawClient ok = publish("topic", "a", "id", "i".repeat(40), "type", "t".repeat(8))) {
            assertThat(ok.status).isEqualTo(200);
            assertThat(ok.body).isEqualTo("i".repeat(40));
        }
        try (RawClient longId = publish("topic", "a", "id", "i".repeat(41))) {
            assertThat(longId.status).isEqualTo(413);
            assertThat(longId.body).isEqualTo("Invalid 'id': it is 41 characters long; at most 40 are allowed"
                    + " (--max-id-length).\n");
        }
        try (RawClient longType = publish("topic", "a", "type", "t".repeat(9))) {
            assertThat(longType.status).isEqualTo(413);
            assertThat(longType.body).isEqualTo("Invalid 'type': it is 9 characters long; at most 8 are allowed"
                    + " (--max-type-length).\n");
        }
        assertThat(refused(hub, "id_length")).isEqualTo(1.0);
        assertThat(refused(hub, "type_length")).isEqualTo(1.0);
    }

    @Test
    void bodiesOverMaxBodySizeAreCounted() throws Exception {
        double before = refused(hub, "body_size");
        String data = URLEncoder.encode("d".repeat(5000), StandardCharsets.UTF_8);
        try (RawClient tooLarge = publish("topic", "a", "data", data)) {
            assertThat(tooLarge.status).isEqualTo(413);
            assertThat(tooLarge.body).contains("--max-body-size");
        }
        assertThat(refused(hub, "body_size")).isEqualTo(before + 1);
    }

    @Test
    void theLimitsAreListedInTheMetricsBeforeAnyRefusal() throws Exception {
        try (TestHub fresh = TestHub.start()) {
            List<String> reasons = new ArrayList<>(List.of("url_length", "header_size", "body_size",
                    "topics_per_subscription", "topics_per_update", "id_length", "type_length", "header_timeout",
                    "body_timeout"));
            for (String reason : reasons) {
                assertThat(refused(fresh, reason)).as(reason).isZero();
            }
        }
    }
}
