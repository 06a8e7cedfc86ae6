package dev.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TestHub;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --subscribe-allow/deny and --publish-allow/deny over real sockets from several client addresses. */
class AddressRulesTest {

    @Test
    void subscribeAllowAndDenyDecideBeforeAnythingElse() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true)
                .subscribeAllow(List.of("127.0.0.0/29")).subscribeDeny(List.of("127.0.0.3")))) {
            int port = hub.gateway.port();
            try (RawClient in = RawClient.subscribe("127.0.0.2", port, "topic=a")) {
                assertThat(in.status).isEqualTo(200);
            }
            // Denied inside the allowed network; and outside it. Even a request that is wrong in
            // other ways (no topic) gets the 403: nothing else is looked at.
            for (String from : new String[] {"127.0.0.3", "127.0.0.9"}) {
                try (RawClient out = RawClient.subscribe(from, port, "topic=a")) {
                    assertThat(out.status).as(from).isEqualTo(403);
                    assertThat(out.headers.get("content-type")).startsWith("text/plain");
                    assertThat(out.body).contains("Subscribing is not allowed from " + from).contains("--subscribe-allow");
                }
                try (RawClient out = RawClient.subscribe(from, port, "")) {
                    assertThat(out.status).as(from).isEqualTo(403);
                }
            }
            assertThat(ConnectionsPerIpTest.refused(hub, "subscribe_address")).isEqualTo(4.0);
            // Publishing is not affected by the subscribe rules.
            try (RawClient pub = RawClient.send("127.0.0.3", port, "POST", "/.well-known/mercure",
                    TestHub.form("topic", "a", "data", "x"), "Authorization: Bearer " + TestHub.publisher())) {
                assertThat(pub.status).isEqualTo(200);
            }
        }
    }

    @Test
    void publishAllowAndDenyDecideBeforeAnythingElse() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true)
                .publishAllow(List.of("127.0.0.10/31")).publishDeny(List.of("127.0.0.11/32")))) {
            int port = hub.gateway.port();
            String body = TestHub.form("topic", "a", "data", "x");
            String auth = "Authorization: Bearer " + TestHub.publisher();
            try (RawClient ok = RawClient.send("127.0.0.10", port, "POST", "/.well-known/mercure", body, auth)) {
                assertThat(ok.status).isEqualTo(200);
                assertThat(ok.body).startsWith("urn:uuid:");
            }
            for (String from : new String[] {"127.0.0.11", "127.0.0.12"}) {
                try (RawClient no = RawClient.send(from, port, "POST", "/.well-known/mercure", body, auth)) {
                    assertThat(no.status).as(from).isEqualTo(403);
                    assertThat(no.body).contains("Publishing is not allowed from " + from).contains("--publish-allow");
                }
                // Without a token too: the address is refused before the token is looked at.
                try (RawClient no = RawClient.send(from, port, "POST", "/.well-known/mercure", body)) {
                    assertThat(no.status).as(from).isEqualTo(403);
                }
            }
            assertThat(ConnectionsPerIpTest.refused(hub, "publish_address")).isEqualTo(4.0);
            assertThat(ConnectionsPerIpTest.refused(hub, "subscribe_address")).isEqualTo(0.0);
            try (RawClient sub = RawClient.subscribe("127.0.0.12", port, "topic=a")) {
                assertThat(sub.status).isEqualTo(200);
            }
        }
    }
}
