package dev.sluice.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.browser.Chromium;
import dev.sluice.support.NodeClients;
import dev.sluice.support.NodeClients.Client;
import dev.sluice.support.TestHub;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A stream the hub ends before the client got its first event (a drain, a cut) still resumes
 * exactly where it stood, because the stream opened with its position: what each client keeps of
 * that position, and what it sends back.
 *
 * <p>The position is the id of the newest update when the stream opened. The hub then ends the
 * stream before any update for it exists; one update is published while the client is away; the
 * client must reconnect with the position as its {@code Last-Event-ID} and get exactly that update.
 */
class PositionBeforeFirstEventTest {

    private static final String TOPIC = "https://example.com/position";

    private static TestHub hub(Consumer<dev.sluice.config.Config.Builder> more) throws Exception {
        return TestHub.start(b -> {
            b.anonymous(true).heartbeat(Duration.ZERO);
            b.slowClientRetry = Duration.ofMillis(300);
            more.accept(b);
        });
    }

    /** Chromium keeps the id of a block without data, as the SSE standard says: the default block is enough. */
    @Test
    void chromiumKeepsTheIdOnlyPosition() throws Exception {
        var binary = Chromium.require();
        try (TestHub hub = hub(b -> { });
             Chromium browser = new Chromium(binary, "http://127.0.0.1:" + hub.gateway.port() + "/healthz")) {
            String position = hub.publishOk("topic", "https://example.com/elsewhere", "data", "not for this stream");
            browser.openEventSource("es", hub.hubUrl + "?topic=" + TestHub.q(TOPIC));
            hub.gateway.hub().forEachSubscriber(hub.gateway.hub()::end);
            String missed = hub.publishOk("topic", TOPIC, "data", "published while away");
            JsonNode got = browser.awaitEvents("es", 1, Duration.ofSeconds(15));
            assertThat(got.path("events")).hasSize(1);
            assertThat(got.path("events").get(0).path("data").asText()).isEqualTo("published while away");
            assertThat(got.path("events").get(0).path("id").asText()).isEqualTo(missed);
            assertThat(got.path("opens").asInt()).as("it reconnected").isGreaterThanOrEqualTo(2);
            assertThat(position).isNotEqualTo(missed);
        }
    }

    /**
     * npm eventsource keeps an id only from a block that dispatches an event, so it ignores the
     * id-only position; with {@code --position-event} the position comes as an event of its own
     * type (empty data), which it keeps and which reaches no onmessage handler.
     */
    @Test
    void npmEventSourceKeepsThePositionEvent() throws Exception {
        NodeClients.assumeAvailable();
        try (TestHub hub = hub(b -> b.positionEvent("sluice-position"))) {
            String position = hub.publishOk("topic", "https://example.com/elsewhere", "data", "not for this stream");
            URI url = URI.create(hub.hubUrl + "?topic=" + TestHub.q(TOPIC));
            try (NodeClients.Run run = NodeClients.start(Client.EVENTSOURCE, url, 1, Duration.ofSeconds(15))) {
                run.awaitOpen();
                hub.gateway.hub().forEachSubscriber(hub.gateway.hub()::end);
                String missed = hub.publishOk("topic", TOPIC, "data", "published while away");
                assertThat(run.awaitDone().path("reason").asText()).isEqualTo("count");
                assertThat(run.events()).as("onmessage saw the update, not the position")
                        .containsExactly("message|published while away|" + missed);
                assertThat(run.lines("request")).extracting(l -> l.path("lastEventId").asText(null))
                        .as("the reconnect carried the position").containsExactly(null, position);
            }
        }
    }

    /**
     * Without {@code --position-event}, npm eventsource reconnects without a Last-Event-ID after a
     * stream the hub ended before its first event, and misses what was published meanwhile: the
     * documented reason for the option.
     */
    @Test
    void npmEventSourceIgnoresTheIdOnlyPosition() throws Exception {
        NodeClients.assumeAvailable();
        try (TestHub hub = hub(b -> { })) {
            hub.publishOk("topic", "https://example.com/elsewhere", "data", "not for this stream");
            URI url = URI.create(hub.hubUrl + "?topic=" + TestHub.q(TOPIC));
            try (NodeClients.Run run = NodeClients.start(Client.EVENTSOURCE, url, 1, Duration.ofSeconds(15))) {
                run.awaitOpen();
                hub.gateway.hub().forEachSubscriber(hub.gateway.hub()::end);
                hub.publishOk("topic", TOPIC, "data", "published while away");
                run.await(l -> "request".equals(l.path("kind").asText()) && run.lines("request").size() >= 2,
                        "the reconnect");
                run.await(l -> "open".equals(l.path("kind").asText()) && run.lines("open").size() >= 2, "reopened");
                String after = hub.publishOk("topic", TOPIC, "data", "after the reconnect");
                assertThat(run.awaitDone().path("reason").asText()).isEqualTo("count");
                assertThat(run.events()).containsExactly("message|after the reconnect|" + after);
                List<String> sent = run.lines("request").stream().map(l -> l.path("lastEventId").asText(null)).toList();
                assertThat(sent).containsExactly(null, null);
            }
        }
    }
}
