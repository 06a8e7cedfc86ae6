package dev.sluice.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.support.NodeClients;
import dev.sluice.support.NodeClients.Client;
import dev.sluice.support.TestHub;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sluice as seen by SSE clients nobody on this project wrote (Node processes, see
 * {@link NodeClients}): exact event sequences, multi-line and empty data, typed events, and a
 * resume with exactly the missed updates after the hub ends the stream.
 */
class IndependentClientsTest {

    static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.anonymous(true).heartbeat(Duration.ZERO).retry(Duration.ofMillis(200)));
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    static URI url(String topic) {
        return URI.create(hub.hubUrl + "?topic=" + TestHub.q(topic));
    }

    /** What a spec-following client dispatches for the three updates of {@link #publishThree}. */
    static List<String> three(List<String> ids) {
        return List.of("message|line 1\nline 2\n\nline 4\nline 5|" + ids.get(0), "message||" + ids.get(1),
                "quote|{\"p\":1}|" + ids.get(2));
    }

    static List<String> publishThree(String topic) throws Exception {
        return List.of(hub.publishOk("topic", topic, "data", "line 1\nline 2\r\n\r\nline 4\rline 5"),
                hub.publishOk("topic", topic, "data", ""),
                hub.publishOk("topic", topic, "data", "{\"p\":1}", "type", "quote"));
    }

    @ParameterizedTest
    @EnumSource(value = Client.class, names = {"EVENTSOURCE", "UNDICI"})
    void eventSourcesReceiveExactlyEveryUpdate(Client client) throws Exception {
        String topic = "exact/" + client;
        try (NodeClients.Run run = NodeClients.start(client, url(topic), 3, Duration.ofSeconds(10),
                "--event-types", "quote")) {
            run.awaitOpen();
            List<String> ids = publishThree(topic);
            assertThat(run.awaitDone().path("reason").asText()).isEqualTo("count");
            assertThat(run.events()).containsExactlyElementsOf(three(ids));
            assertThat(run.lines("error")).isEmpty();
        }
    }

    /**
     * fetch-event-source dispatches every block, also those without data: the opening block
     * (comment and retry hint) arrives as one empty message before the updates.
     */
    @Test
    void fetchEventSourceAlsoDispatchesTheOpeningBlock() throws Exception {
        String topic = "exact/fetch-event-source";
        try (NodeClients.Run run = NodeClients.start(Client.FETCH_EVENT_SOURCE, url(topic), 4, Duration.ofSeconds(10))) {
            run.awaitOpen();
            List<String> ids = publishThree(topic);
            assertThat(run.awaitDone().path("reason").asText()).isEqualTo("count");
            // The opening block (comment, retry and the stream's position, no data) becomes an empty
            // message carrying that position: "earliest" on an empty history, else the newest id.
            List<String> events = run.events();
            assertThat(events).hasSize(4);
            assertThat(events.get(0)).matches("message\\|\\|(earliest|urn:uuid:.+)");
            assertThat(events.subList(1, 4)).containsExactlyElementsOf(three(ids));
        }
    }

    /** eventsource-parser over the raw bytes: valid UTF-8, no unknown fields, no bad retry values. */
    @Test
    void rawStreamIsCleanForAStrictParser() throws Exception {
        String topic = "lint";
        try (NodeClients.Run run = NodeClients.start(Client.PARSER, url(topic), 3, Duration.ofSeconds(10),
                "--event-types", "quote")) {
            JsonNode open = run.awaitOpen();
            assertThat(open.path("status").asInt()).isEqualTo(200);
            assertThat(open.path("contentType").asText()).startsWith("text/event-stream");
            hub.publishOk("topic", topic, "data", "héllo ✓ 🎉\nsecond", "id", "ascii-id-1");
            publishThree(topic);
            run.awaitDone();
            assertThat(run.lines("parse-error")).isEmpty();
            assertThat(run.lines("lint")).isEmpty();
            assertThat(run.lines("retry")).extracting(l -> l.path("value").asLong()).containsExactly(200L);
            assertThat(run.events().get(0)).isEqualTo("message|héllo ✓ 🎉\nsecond|ascii-id-1");
        }
    }

    /** The hub ends the stream (as when draining or over budget): the client resumes with exactly what it missed. */
    @ParameterizedTest
    @EnumSource(value = Client.class, names = {"EVENTSOURCE", "UNDICI", "FETCH_EVENT_SOURCE"})
    void resumesWithExactlyTheMissedUpdates(Client client) throws Exception {
        String topic = "resume/" + client;
        try (NodeClients.Run run = NodeClients.start(client, url(topic), 0, Duration.ofSeconds(15),
                "--stop-on-data", "live")) {
            run.awaitOpen();
            String first = hub.publishOk("topic", topic, "data", "first");
            run.await(l -> "first".equals(l.path("data").asText()), "the first update");
            hub.gateway.hub().forEachSubscriber(hub.gateway.hub()::end);
            String m1 = hub.publishOk("topic", topic, "data", "missed 1");
            String m2 = hub.publishOk("topic", topic, "data", "missed 2");
            run.await(l -> "missed 2".equals(l.path("data").asText()), "the missed updates");
            String live = hub.publishOk("topic", topic, "data", "live");
            assertThat(run.awaitDone().path("reason").asText()).isEqualTo("stop-on-data");
            List<String> data = run.lines("event").stream().map(l -> l.path("data").asText())
                    .filter(d -> !d.isEmpty()).toList();
            assertThat(data).containsExactly("first", "missed 1", "missed 2", "live");
            List<String> ids = run.lines("event").stream().filter(l -> !l.path("data").asText().isEmpty())
                    .map(l -> l.path("lastEventId").asText()).toList();
            assertThat(ids).containsExactly(first, m1, m2, live);
            if (client != Client.UNDICI) { // undici's own fetch is not observable from the script
                assertThat(run.lines("request")).extracting(l -> l.path("lastEventId").asText(null))
                        .as("the reconnect carried the last id").contains(first);
            }
        }
    }
}
