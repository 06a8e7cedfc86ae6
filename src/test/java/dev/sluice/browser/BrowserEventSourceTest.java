package dev.sluice.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.TestHub;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/**
 * A real browser's {@code EventSource} against the hub: the stream is accepted as SSE, multi-line
 * and empty payloads fire with every line intact, event types and ids arrive, and a stream ended
 * by the hub is resumed by the browser with {@code Last-Event-ID} without loss.
 *
 * <p>Needs Chromium ({@code apt-get install chromium}); skipped without it, except in CI.
 */
@OnEveryIoKind
class BrowserEventSourceTest {

    @Parameter
    IoKind io;

    static TestHub hub;
    static Chromium browser;

    @BeforeParameterizedClassInvocation
    static void start(IoKind io) throws Exception {
        Path binary = Chromium.find();
        if (binary == null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("Chromium is required in CI (the test script installs it)");
        }
        Assumptions.assumeTrue(binary != null, "Chromium is not installed: apt-get install chromium");
        hub = TestHub.startIfAvailable(io, b -> b.anonymous(true).subscriberBudget(64 * 1024)
                .slowClientGrace(Duration.ofMillis(300)));
        if (hub != null) {
            // Same origin as the hub, so EventSource needs no CORS.
            browser = new Chromium(binary, "http://127.0.0.1:" + hub.gateway.port() + "/healthz");
        }
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
            browser = null;
        }
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }

    /** Opens an EventSource in the page that records every event into window[name]. */
    private static void open(String name, String query) throws Exception {
        browser.eval("""
                new Promise((resolve, reject) => {
                  const got = window['%1$s'] = { events: [], errors: 0, opens: 0 };
                  const es = new EventSource('/.well-known/mercure?%2$s');
                  window['%1$s_es'] = es;
                  const record = e => got.events.push({ type: e.type, data: e.data, id: e.lastEventId });
                  es.onmessage = record;
                  es.addEventListener('quote', record);
                  es.onerror = () => { got.errors++; };
                  es.onopen = () => { got.opens++; resolve(true); };
                  setTimeout(() => reject(new Error('EventSource did not open')), 10000);
                })""".formatted(name, query), Duration.ofSeconds(15));
    }

    private static JsonNode await(String name, int count) throws Exception {
        return browser.eval("""
                new Promise((resolve, reject) => {
                  const started = Date.now();
                  const check = () => {
                    const got = window['%1$s'];
                    if (got.events.length >= %2$d) resolve(got);
                    else if (Date.now() - started > 20000) reject(new Error('only ' + got.events.length + ' events'));
                    else setTimeout(check, 20);
                  };
                  check();
                })""".formatted(name, count), Duration.ofSeconds(25));
    }

    @Test
    void eventSourceReceivesEveryLineTypeAndId() throws Exception {
        open("a", "topic=" + TestHub.q("https://example.com/books/{id}"));
        String first = hub.publishOk("topic", "https://example.com/books/1", "data", "line 1\nline 2\r\n\r\nline 4\rline 5");
        String empty = hub.publishOk("topic", "https://example.com/books/2", "data", "");
        String typed = hub.publishOk("topic", "https://example.com/books/3", "data", "{\"p\":1}", "type", "quote");
        JsonNode got = await("a", 3).path("events");
        assertThat(got.get(0).path("data").asText()).isEqualTo("line 1\nline 2\n\nline 4\nline 5");
        assertThat(got.get(0).path("id").asText()).isEqualTo(first);
        assertThat(got.get(1).path("data").asText()).as("empty data still fires").isEmpty();
        assertThat(got.get(1).path("id").asText()).isEqualTo(empty);
        assertThat(got.get(2).path("type").asText()).isEqualTo("quote");
        assertThat(got.get(2).path("id").asText()).isEqualTo(typed);
        browser.eval("window.a_es.close(); true", Duration.ofSeconds(5));
    }

    @Test
    void browserResumesWithLastEventIdAfterTheHubEndsTheStream() throws Exception {
        open("r", "topic=resume");
        hub.publishOk("topic", "resume", "data", "before");
        await("r", 1);
        // End every stream the way a draining or over-budget hub does: retry hint, end of body.
        hub.gateway.hub().forEachSubscriber(hub.gateway.hub()::end);
        String missed = hub.publishOk("topic", "resume", "data", "while away");
        JsonNode got = await("r", 2);
        assertThat(got.path("events").get(1).path("id").asText()).isEqualTo(missed);
        assertThat(got.path("opens").asInt()).as("reconnected once").isEqualTo(2);
        String live = hub.publishOk("topic", "resume", "data", "live again");
        assertThat(await("r", 3).path("events").get(2).path("id").asText()).isEqualTo(live);
        browser.eval("window.r_es.close(); true", Duration.ofSeconds(5));
    }
}
