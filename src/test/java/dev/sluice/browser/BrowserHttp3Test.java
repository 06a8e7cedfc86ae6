package dev.sluice.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.support.TestHub;
import dev.sluice.support.TlsTrust;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Chromium's native {@code EventSource} over HTTP/3: the browser is forced onto QUIC for the
 * gateway's origin and trusts only its self-signed certificate (by its key). A page the gateway
 * serves opens an EventSource with a subscriber token, receives public and private updates, and,
 * when the hub ends its stream, resumes with {@code Last-Event-ID} without losing what was
 * published meanwhile; the browser's own timing entries say every request went over h3.
 */
class BrowserHttp3Test {

    @Test
    void eventSourceOverHttp3ReceivesPublicAndPrivateUpdatesAndResumes() throws Exception {
        try (TestHub hub = TestHub.startTls(b -> b.retry(Duration.ofMillis(500)));
             Chromium browser = new Chromium(Chromium.require(), hub.origin + "/healthz",
                     Chromium.forceQuic(hub.gateway.port(), TlsTrust.spkiSha256(hub.certificate())))) {
            assertThat(browser.eval("performance.getEntriesByType('navigation')[0].nextHopProtocol",
                    Duration.ofSeconds(5)).asText()).isEqualTo("h3");

            String token = TestHub.subscriber("https://example.com/books/1");
            browser.openEventSource("books", "/.well-known/mercure?topic="
                    + TestHub.q("https://example.com/books/{id}") + "&authorization=" + token);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> hub.gateway.hub().subscribers() == 1);

            String open = hub.publishOk("topic", "https://example.com/books/2", "data", "public");
            String secret = hub.publishOk("topic", "https://example.com/books/1", "data", "for you", "private", "on");
            hub.publishOk("topic", "https://example.com/books/2", "data", "not for you", "private", "on");
            String last = hub.publishOk("topic", "https://example.com/books/3", "data", "public again");
            JsonNode got = browser.awaitEvents("books", 3, Duration.ofSeconds(15)).path("events");
            assertThat(got.get(0).path("id").asText()).isEqualTo(open);
            assertThat(got.get(1).path("id").asText()).isEqualTo(secret);
            assertThat(got.get(1).path("data").asText()).isEqualTo("for you");
            assertThat(got.get(2).path("id").asText()).isEqualTo(last);

            // The hub ends the stream (as when draining); what is published before the browser is
            // back reaches it only through its Last-Event-ID.
            hub.gateway.hub().forEachSubscriber(hub.gateway.hub()::end);
            String missed = hub.publishOk("topic", "https://example.com/books/1", "data", "while away", "private", "on");
            JsonNode resumed = browser.awaitEvents("books", 4, Duration.ofSeconds(15));
            assertThat(resumed.path("events").get(3).path("id").asText()).isEqualTo(missed);
            assertThat(resumed.path("events")).hasSize(4);
            assertThat(resumed.path("opens").asInt()).as("reconnected once").isEqualTo(2);

            JsonNode protocols = browser.eval("""
                    Promise.resolve(performance.getEntriesByType('navigation')
                        .concat(performance.getEntriesByType('resource'))
                        .map(e => e.name + ' ' + e.nextHopProtocol))""", Duration.ofSeconds(10));
            assertThat(protocols).isNotEmpty();
            assertThat(protocols.toString()).contains("/.well-known/mercure");
            protocols.forEach(p -> assertThat(p.asText()).endsWith(" h3"));
        }
    }
}
