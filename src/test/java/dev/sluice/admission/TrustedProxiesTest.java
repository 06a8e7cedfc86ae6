package dev.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TestHub;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --trusted-proxies over real sockets: forwarding headers count only from a trusted peer. */
class TrustedProxiesTest {

    @Test
    void spoofedHeadersFromAnUntrustedPeerAreIgnored() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).trustedProxies(List.of("127.0.0.20"))
                .subscribeAllow(List.of("127.0.0.2")))) {
            int port = hub.gateway.port();
            // 127.0.0.21 is no proxy of ours: claiming to forward for 127.0.0.2 changes nothing.
            try (RawClient spoof = RawClient.subscribe("127.0.0.21", port, "topic=a", "X-Forwarded-For: 127.0.0.2");
                 RawClient spoof2 = RawClient.subscribe("127.0.0.21", port, "topic=a", "Forwarded: for=127.0.0.2")) {
                assertThat(spoof.status).isEqualTo(403);
                assertThat(spoof.body).contains("127.0.0.21");
                assertThat(spoof2.status).isEqualTo(403);
            }
            // The trusted proxy forwarding for 127.0.0.2 is let in; forwarding for another client is not.
            try (RawClient viaProxy = RawClient.subscribe("127.0.0.20", port, "topic=a",
                    "X-Forwarded-For: 127.0.0.9, 127.0.0.2")) {
                assertThat(viaProxy.status).isEqualTo(200);
            }
            try (RawClient viaProxy = RawClient.subscribe("127.0.0.20", port, "topic=a",
                    "Forwarded: for=127.0.0.2, for=\"127.0.0.9:1234\"")) {
                assertThat(viaProxy.status).isEqualTo(403);
                assertThat(viaProxy.body).contains("from 127.0.0.9 ");
            }
            // The proxy itself, without headers, is not an allowed subscriber.
            try (RawClient proxy = RawClient.subscribe("127.0.0.20", port, "topic=a")) {
                assertThat(proxy.status).isEqualTo(403);
            }
        }
    }

    @Test
    void streamsAreCountedPerForwardedClient() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).trustedProxies(List.of("127.0.0.20/31"))
                .maxConnectionsPerIp(1))) {
            int port = hub.gateway.port();
            List<RawClient> open = new ArrayList<>();
            try {
                for (String client : new String[] {"192.0.2.1", "192.0.2.2"}) {
                    RawClient c = RawClient.subscribe("127.0.0.20", port, "topic=a", "X-Forwarded-For: " + client);
                    open.add(c);
                    assertThat(c.status).as(client).isEqualTo(200);
                }
                // Through the other trusted proxy, the same client is the same client.
                try (RawClient again = RawClient.subscribe("127.0.0.21", port, "topic=a",
                        "Forwarded: for=192.0.2.1;proto=https")) {
                    assertThat(again.status).isEqualTo(429);
                    assertThat(again.body).contains("192.0.2.1");
                }
                // An untrusted peer claiming a fresh address is counted as itself.
                RawClient direct = RawClient.subscribe("127.0.0.22", port, "topic=a", "X-Forwarded-For: 192.0.2.3");
                open.add(direct);
                assertThat(direct.status).isEqualTo(200);
                try (RawClient second = RawClient.subscribe("127.0.0.22", port, "topic=a",
                        "X-Forwarded-For: 192.0.2.4")) {
                    assertThat(second.status).isEqualTo(429);
                    assertThat(second.body).contains("127.0.0.22");
                }
            } finally {
                for (RawClient c : open) {
                    c.close();
                }
            }
        }
    }
}
