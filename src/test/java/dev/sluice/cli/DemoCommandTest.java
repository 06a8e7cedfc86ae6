package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice demo} as a process of its own against a running gateway: it publishes through
 * the publish endpoint with the token it is given, every quote and bar in order, the same series
 * for the same seed; a refused token and bad options end it with a reason.
 */
class DemoCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.anonymous(true));
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    private static UsageMistakesTest.Run demo(String token, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("demo", "--hub", hub.hubUrl.toString(), "--token", token,
                "--duration", "2500ms", "--report-every", "1s", "--demo-symbols", "AAPL,MSFT", "--demo-rate", "20",
                "--demo-seed", "77"));
        args.addAll(List.of(more));
        return UsageMistakesTest.run(Map.of(), args.toArray(String[]::new));
    }

    /** Every event the stream has now: waits until none came for a second. */
    private static List<JsonNode> drain(SseStream s) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        SseEvent e;
        while ((e = s.poll(Duration.ofSeconds(1))) != null) {
            if (e.data() != null && !e.data().isEmpty()) {
                out.add(JSON.readTree(e.data()));
            }
        }
        return out;
    }

    private static List<String> series(List<JsonNode> quotes, String symbol) {
        return quotes.stream().filter(q -> q.get("symbol").asText().equals(symbol) && q.has("last"))
                .map(q -> q.get("seq") + " " + q.get("last") + " " + q.get("bid") + " " + q.get("ask") + " "
                        + q.get("size") + " " + q.get("volume")).toList();
    }

    @Test
    void publishesEveryQuoteAndBarInOrderAndTheSameSeriesForTheSameSeed() throws Exception {
        String token = TestHub.token(List.of("https://sluice.example/{kind}/{symbol}",
                "https://sluice.example/bars/{interval}/{symbol}"), List.of());
        String query = "topic=" + TestHub.q("https://sluice.example/quotes/{symbol}") + "&topic="
                + TestHub.q("https://sluice.example/bars/1s/{symbol}");
        List<List<String>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (SseStream s = hub.subscribe(query)) {
                UsageMistakesTest.Run r = demo(token);
                assertThat(r.exit()).as(r.err()).isZero();
                assertThat(r.out()).contains("publishing 2 symbols at 20 quotes/s each to " + hub.hubUrl)
                        .containsPattern("done: \\d+ quotes, \\d+ bars published; 0 dropped, 0 retried");
                List<JsonNode> got = drain(s);
                Map<String, Long> lastSeq = new HashMap<>();
                int quotes = 0;
                int bars = 0;
                for (JsonNode n : got) {
                    String key = n.get("symbol").asText() + (n.has("interval") ? "/" + n.get("interval").asText() : "");
                    long seq = n.get("seq").asLong();
                    assertThat(seq).as(key).isEqualTo(lastSeq.getOrDefault(key, 0L) + 1);
                    lastSeq.put(key, seq);
                    if (n.has("interval")) {
                        bars++;
                    } else {
                        quotes++;
                    }
                }
                // 2 symbols × 20/s × 2.5 s ≈ 100 quotes (Poisson), a bar per symbol and second.
                assertThat(quotes).isBetween(50, 160);
                assertThat(bars).isBetween(4, 8);
                runs.add(series(got, "AAPL"));
            }
        }
        int n = Math.min(runs.get(0).size(), runs.get(1).size());
        assertThat(n).isGreaterThan(20);
        assertThat(runs.get(1).subList(0, n)).as("same seed, same series").isEqualTo(runs.get(0).subList(0, n));
    }

    @Test
    void aRefusedTokenStopsTheFeedWithTheHubsReason() throws Exception {
        String onlyOther = TestHub.token(List.of("https://example.com/other"), List.of());
        UsageMistakesTest.Run r = demo(onlyOther);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("refused the publisher token (403)");
        assertThat(r.err()).doesNotContain("Exception\n\tat ");
    }

    @Test
    void badOptionsAreNamed() throws Exception {
        UsageMistakesTest.Run r = UsageMistakesTest.run(Map.of(), "demo", "--hub", "ftp://x", "--token", "t");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("sluice demo: --hub: 'ftp://x' must be an http:// or https:// URL");
        r = UsageMistakesTest.run(Map.of(), "demo", "--hub", "http://127.0.0.1:1", "--token", "t", "--demo-rate", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("sluice demo: --demo-rate: must be above 0");
        r = UsageMistakesTest.run(Map.of("SLUICE_DEMO_SYMBOLS", "AAPL,no way"), "demo", "--hub", "http://127.0.0.1:1",
                "--token", "t");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("sluice demo: environment variable SLUICE_DEMO_SYMBOLS (--demo-symbols):"
                + " 'NO WAY' is not a ticker: use 1 to 12 letters, digits, '.' or '-', starting with a letter or digit"
                + " (e.g. AAPL, BRK.B)");
        r = UsageMistakesTest.run(Map.of(), "serve", "--demo", "--listen", "127.0.0.1:0", "--demo-throttle", "-1s");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--demo-throttle");
        // Publishers verified by a key set: the simulator cannot sign its own token.
        r = UsageMistakesTest.run(Map.of(), "serve", "--demo", "--listen", "127.0.0.1:0", "--publisher-jwks-url",
                "http://127.0.0.1:9/jwks.json");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("sluice serve: --demo-token: is needed with --demo when publishers are verified"
                + " with a key set (--publisher-jwks-url)");
    }
}
