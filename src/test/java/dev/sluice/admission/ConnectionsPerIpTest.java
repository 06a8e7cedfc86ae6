package dev.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** --max-connections-per-ip and --max-subscribers over real sockets from several client addresses. */
class ConnectionsPerIpTest {

    @Test
    void aClientPastItsLimitGets429WithRetryAfterWhileOthersStillSubscribe() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).maxConnectionsPerIp(2))) {
            int port = hub.gateway.port();
            List<RawClient> open = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    RawClient c = RawClient.subscribe("127.0.0.2", port, "topic=a");
                    assertThat(c.status).isEqualTo(200);
                    assertThat(c.headers.get("content-type")).isEqualTo("text/event-stream");
                    open.add(c);
                }
                try (RawClient third = RawClient.subscribe("127.0.0.2", port, "topic=a")) {
                    assertThat(third.status).isEqualTo(429);
                    assertThat(third.headers.get("retry-after")).isEqualTo("10");
                    assertThat(third.headers.get("content-type")).startsWith("text/plain");
                    assertThat(third.body).contains("127.0.0.2").contains("--max-connections-per-ip").contains("2");
                }
                // Another address is counted apart.
                RawClient other = RawClient.subscribe("127.0.0.3", port, "topic=a");
                open.add(other);
                assertThat(other.status).isEqualTo(200);
                assertThat(hub.gateway.hub().subscribers()).isEqualTo(3);
                assertThat(refused(hub, "connections_per_ip")).isEqualTo(1.0);
            } finally {
                for (RawClient c : open) {
                    c.close();
                }
            }
        }
    }

    @Test
    void theCountDropsWhenAStreamEnds() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).maxConnectionsPerIp(1))) {
            int port = hub.gateway.port();
            RawClient first = RawClient.subscribe("127.0.0.4", port, "topic=a");
            assertThat(first.status).isEqualTo(200);
            try (RawClient refused = RawClient.subscribe("127.0.0.4", port, "topic=a")) {
                assertThat(refused.status).isEqualTo(429);
            }
            first.close();
            // The close reaches the gateway asynchronously: try until the slot is free again.
            int status = 0;
            for (int attempt = 0; attempt < 500 && status != 200; attempt++) {
                RawClient again = RawClient.subscribe("127.0.0.4", port, "topic=a");
                status = again.status;
                if (status == 200) {
                    again.close();
                } else {
                    assertThat(status).isEqualTo(429);
                    again.close();
                    Thread.sleep(10); // lets the gateway see the closed stream
                }
            }
            assertThat(status).as("a stream after the first one ended").isEqualTo(200);
        }
    }

    @Test
    void requestsRefusedForOtherReasonsHoldNoSlot() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.maxConnectionsPerIp(1))) {
            int port = hub.gateway.port();
            // Without a token (not anonymous): 401s on connections that stay open (keep-alive).
            List<RawClient> refused = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    RawClient c = RawClient.subscribe("127.0.0.5", port, "topic=a");
                    refused.add(c);
                    assertThat(c.status).isEqualTo(401);
                }
                try (RawClient ok = RawClient.subscribe("127.0.0.5", port, "topic=a",
                        "Authorization: Bearer " + TestHub.subscriber("a"))) {
                    assertThat(ok.status).isEqualTo(200);
                }
            } finally {
                for (RawClient c : refused) {
                    c.close();
                }
            }
            assertThat(refused(hub, "connections_per_ip")).isEqualTo(0.0);
        }
    }

    @Test
    void theGlobalSubscriberLimitAnswers503WithRetryAfterAndIsCounted() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).maxSubscribers(1))) {
            int port = hub.gateway.port();
            try (RawClient first = RawClient.subscribe("127.0.0.6", port, "topic=a");
                 RawClient second = RawClient.subscribe("127.0.0.7", port, "topic=a")) {
                assertThat(first.status).isEqualTo(200);
                assertThat(second.status).isEqualTo(503);
                assertThat(second.headers.get("retry-after")).isEqualTo("10");
                assertThat(second.body).contains("--max-subscribers");
                assertThat(refused(hub, "max_subscribers")).isEqualTo(1.0);
                assertThat(refused(hub, "connections_per_ip")).isEqualTo(0.0);
            }
        }
    }

    @Test
    void withoutTheOptionOneAddressMayHoldManyStreams() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true))) {
            int port = hub.gateway.port();
            List<RawClient> open = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    RawClient c = RawClient.subscribe("127.0.0.8", port, "topic=a");
                    open.add(c);
                    assertThat(c.status).isEqualTo(200);
                }
            } finally {
                for (RawClient c : open) {
                    c.close();
                }
            }
        }
    }

    /** The value of sluice_admission_refused_total{reason} in /metrics. */
    static double refused(TestHub hub, String reason) throws Exception {
        String text = hub.http.send(HttpRequest.newBuilder(hub.url("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^sluice_admission_refused_total\\{reason=\"" + Pattern.quote(reason)
                + "\"} (\\S+)$").matcher(text);
        assertThat(m.find()).as("sluice_admission_refused_total{reason=%s} in %n%s", reason, text).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
