package dev.sluice.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The simulator as a pure function of its seed: reproducible series, prices that never go to
 * zero, log-returns with the configured drift and volatility, and bars that are exactly the
 * aggregate of their quotes.
 */
class MarketSimulatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long ORIGIN = 1_790_000_000_123L;

    private static List<Market.Message> run(DemoSettings settings, long millis, long step) throws Exception {
        Market market = new Market(settings.symbols(), settings, ORIGIN);
        List<Market.Message> out = new ArrayList<>();
        for (long t = ORIGIN; t <= ORIGIN + millis; t += step) {
            while (market.advanceTo(t, 100, out::add) == 100) {
                // a full batch: more is due at this instant
            }
        }
        return out;
    }

    private static DemoSettings settings(String symbols, double rate, long seed) {
        return new DemoSettings(DemoSettings.parseSymbols(symbols, seed), rate, seed, 60, 20);
    }

    @Test
    void theSameSeedGivesTheSameSeriesHoweverOftenTheClockIsRead() throws Exception {
        DemoSettings s = settings("AAPL,MSFT,XYZ", 20, 7);
        List<Market.Message> fine = run(s, 30_000, 3);
        List<Market.Message> coarse = run(s, 30_000, 1_000);
        assertThat(fine).hasSizeGreaterThan(1_500).isEqualTo(coarse);
        List<Market.Message> otherSeed = run(settings("AAPL,MSFT,XYZ", 20, 8), 30_000, 1_000);
        assertThat(otherSeed).isNotEqualTo(coarse);
    }

    @Test
    void aSymbolsSeriesDoesNotDependOnTheOtherSymbols() throws Exception {
        List<Market.Message> alone = run(settings("NVDA", 10, 3), 20_000, 250);
        List<Market.Message> together = run(settings("AAPL,NVDA,S0001", 10, 3), 20_000, 250);
        List<Market.Message> nvda = together.stream().filter(m -> m.topic().endsWith("/NVDA")).toList();
        assertThat(nvda).isEqualTo(alone);
    }

    @Test
    void quotesArriveAtTheConfiguredRate() throws Exception {
        long quotes = run(settings("AAPL,MSFT", 50, 11), 60_000, 500).stream().filter(Market.Message::quote).count();
        // Poisson: 6000 expected, standard deviation about 77; 5 deviations either side.
        assertThat(quotes).isBetween(6000L - 390, 6000L + 390);
    }

    @Test
    void pricesBidsAndAsksAreNeverBelowOneTickEvenWithWildVolatility() throws Exception {
        SymbolSpec wild = new SymbolSpec("WILD", 5, 0.0, 5.0);
        PricePath path = new PricePath(wild, 99, 50, 500_000, 2);
        for (int i = 0; i < 200_000; i++) {
            Quote q = path.trade(ORIGIN);
            assertThat(path.logPrice()).isFinite();
            assertThat(q.last()).isGreaterThanOrEqualTo(1);
            assertThat(q.bid()).isBetween(1L, q.last());
            assertThat(q.ask()).isGreaterThanOrEqualTo(q.last()).isGreaterThan(q.bid());
            assertThat(q.size()).isPositive();
        }
    }

    @Test
    void theExactStepStaysPositiveWhereAnEulerStepWouldNot() {
        SplittableRandom r = new SplittableRandom(5);
        int eulerNegative = 0;
        for (int i = 0; i < 10_000; i++) {
            double z = r.nextGaussian();
            assertThat(PricePath.step(100, 0.1, 2.0, 1.0, z)).isPositive();
            if (100 * (1 + 0.1 + 2.0 * z) <= 0) {
                eulerNegative++;
            }
        }
        assertThat(eulerNegative).as("the Euler step goes negative for about 30 %% of draws").isGreaterThan(2_000);
    }

    /**
     * One million steps of one trading day each (dt = 1/252 year), mu = 0.20, sigma = 0.50, no
     * bursts. Log-returns of the exact price must have mean (mu − sigma²/2)·dt and variance
     * sigma²·dt. Tolerance: 4 standard errors of each estimator (for the mean sigma·√(dt/N); for
     * the variance sigma²·dt·√(2/(N−1)), 0.57 % here), so a correct simulator fails with a
     * probability under 1e-4, and the Euler drift (mean mu·dt, 9.5 standard errors away) fails.
     */
    @Test
    void logReturnsHaveTheConfiguredDriftAndVolatility() {
        double mu = 0.20;
        double sigma = 0.50;
        int n = 1_000_000;
        double speed = PricePath.TRADING_YEAR_SECONDS / 252; // one second of the clock = one trading day
        PricePath path = new PricePath(new SymbolSpec("GBM", 1_000_000, mu, sigma), 12345, 1, speed, 0);
        double dt = 1.0 / 252;
        double previous = path.logPrice();
        double sum = 0;
        double sumSquares = 0;
        for (int i = 1; i <= n; i++) {
            path.tradeAt(i * 1000.0, ORIGIN + i * 1000L);
            double now = path.logPrice();
            double r = now - previous;
            previous = now;
            sum += r;
            sumSquares += r * r;
        }
        double mean = sum / n;
        double variance = (sumSquares - n * mean * mean) / (n - 1);
        double expectedMean = (mu - sigma * sigma / 2) * dt;
        double expectedVariance = sigma * sigma * dt;
        double meanError = sigma * Math.sqrt(dt / n);
        double varianceError = expectedVariance * Math.sqrt(2.0 / (n - 1));
        assertThat(mean).isCloseTo(expectedMean, org.assertj.core.data.Offset.offset(4 * meanError));
        assertThat(Math.abs(mu * dt - mean)).as("not the Euler drift").isGreaterThan(4 * meanError);
        assertThat(variance).isCloseTo(expectedVariance, org.assertj.core.data.Offset.offset(4 * varianceError));
    }

    @Test
    void barsAreExactlyTheAggregateOfTheirQuotes() throws Exception {
        DemoSettings s = settings("AAPL,TSLA,KO", 3, 21);
        List<Market.Message> messages = run(s, 185_000, 37);
        record Agg(List<JsonNode> quotes) {}
        Map<String, List<JsonNode>> quotesByBar = new HashMap<>();
        Map<String, Long> lastSeq = new HashMap<>();
        Map<String, Long> lastQuoteTs = new HashMap<>();
        int checked1s = 0;
        int checked1m = 0;
        int empty = 0;
        Map<String, BigDecimal> lastClose = new HashMap<>();
        for (Market.Message m : messages) {
            JsonNode n = JSON.readTree(m.data());
            String symbol = n.get("symbol").asText();
            if (m.quote()) {
                assertThat(m.topic()).isEqualTo("https://sluice.example/quotes/" + symbol);
                long ts = n.get("ts").asLong();
                assertThat(ts).isGreaterThanOrEqualTo(lastQuoteTs.getOrDefault(symbol, ORIGIN));
                lastQuoteTs.put(symbol, ts);
                for (BarInterval iv : BarInterval.values()) {
                    quotesByBar.computeIfAbsent(symbol + "/" + iv.label() + "/" + iv.startOf(ts), k -> new ArrayList<>()).add(n);
                }
                continue;
            }
            String interval = n.get("interval").asText();
            assertThat(m.topic()).isEqualTo("https://sluice.example/bars/" + interval + "/" + symbol);
            long seq = n.get("seq").asLong();
            String series = symbol + "/" + interval;
            assertThat(seq).as("bar seq of " + series).isEqualTo(lastSeq.getOrDefault(series, 0L) + 1);
            lastSeq.put(series, seq);
            long start = n.get("start").asLong();
            long length = interval.equals("1s") ? 1_000 : 60_000;
            assertThat(start % length).isZero();
            assertThat(lastQuoteTs.getOrDefault(symbol, 0L)).as("published after its interval's quotes")
                    .isLessThan(start + length);
            List<JsonNode> qs = quotesByBar.remove(series + "/" + start);
            if (qs == null) {
                empty++;
                assertThat(n.get("trades").asInt()).isZero();
                assertThat(n.get("volume").asLong()).isZero();
                BigDecimal flat = lastClose.get(series);
                if (flat != null) {
                    for (String f : new String[] {"open", "high", "low", "close"}) {
                        assertThat(n.get(f).decimalValue()).isEqualByComparingTo(flat);
                    }
                }
            } else {
                assertThat(n.get("trades").asInt()).isEqualTo(qs.size());
                assertThat(n.get("open").decimalValue()).isEqualByComparingTo(qs.get(0).get("last").decimalValue());
                assertThat(n.get("close").decimalValue()).isEqualByComparingTo(qs.get(qs.size() - 1).get("last").decimalValue());
                assertThat(n.get("high").decimalValue()).isEqualByComparingTo(qs.stream()
                        .map(q -> q.get("last").decimalValue()).max(BigDecimal::compareTo).orElseThrow());
                assertThat(n.get("low").decimalValue()).isEqualByComparingTo(qs.stream()
                        .map(q -> q.get("last").decimalValue()).min(BigDecimal::compareTo).orElseThrow());
                assertThat(n.get("volume").asLong()).isEqualTo(qs.stream().mapToLong(q -> q.get("size").asLong()).sum());
            }
            lastClose.put(series, n.get("close").decimalValue());
            if (interval.equals("1s")) {
                checked1s++;
            } else {
                checked1m++;
            }
        }
        // Quotes left over are those of the bars still open at the end.
        for (String open : quotesByBar.keySet()) {
            long start = Long.parseLong(open.substring(open.lastIndexOf('/') + 1));
            long length = open.contains("/1s/") ? 1_000 : 60_000;
            assertThat(start + length).as(open + " is still open").isGreaterThan(ORIGIN + 185_000 - 37);
        }
        assertThat(checked1s).isGreaterThanOrEqualTo(3 * 184);
        assertThat(checked1m).isEqualTo(3 * 3);
        assertThat(empty).as("at 3 quotes/s some seconds have none").isGreaterThan(10);
    }

    @Test
    void quoteJsonCarriesEveryField() throws Exception {
        Quote q = new Quote("BRK.B", 7, ORIGIN, 45_005, 45_004, 45_006, -95, -21, 300, 12_000);
        JsonNode n = JSON.readTree(q.json());
        assertThat(n.get("symbol").asText()).isEqualTo("BRK.B");
        assertThat(n.get("seq").asLong()).isEqualTo(7);
        assertThat(n.get("ts").asLong()).isEqualTo(ORIGIN);
        assertThat(n.get("last").decimalValue()).isEqualByComparingTo("450.05");
        assertThat(n.get("bid").decimalValue()).isEqualByComparingTo("450.04");
        assertThat(n.get("ask").decimalValue()).isEqualByComparingTo("450.06");
        assertThat(n.get("change").decimalValue()).isEqualByComparingTo("-0.95");
        assertThat(n.get("changePct").decimalValue()).isEqualByComparingTo("-0.21");
        assertThat(n.get("volume").asLong()).isEqualTo(12_000);
    }

    @Test
    void badSymbolsAndSettingsAreRefusedWithAReason() {
        assertThatThrownBy(() -> DemoSettings.parseSymbols("AAPL,bad ticker", 1))
                .hasMessageContaining("'BAD TICKER' is not a ticker");
        assertThatThrownBy(() -> DemoSettings.parseSymbols(" , ", 1)).hasMessageContaining("no symbols");
        assertThatThrownBy(() -> DemoSettings.parseSymbols("6000*", 1)).hasMessageContaining("1 to 5000");
        assertThat(DemoSettings.parseSymbols("aapl,AAPL,3*", 1)).extracting(SymbolSpec::symbol)
                .containsExactly("AAPL", "S0001", "S0002", "S0003");
        assertThatThrownBy(() -> new DemoSettings(DemoSettings.parseSymbols("A", 1), 0, 1, 60, 0))
                .hasMessageContaining("quotes per second");
    }
}
