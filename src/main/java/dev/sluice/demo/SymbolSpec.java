package dev.sluice.demo;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How one symbol's price moves: where it starts, its annualised drift and volatility, and its
 * tick size. Prices are kept in ticks of {@code 10^-decimals} of a currency unit (cents with two
 * decimals), so rounding is exact and the JSON never shows binary fractions.
 *
 * @param symbol     the ticker, upper case ({@code [A-Z0-9.-]}, at most 12 characters)
 * @param startTicks the opening price, in ticks of {@code 0.01}
 * @param drift      annualised drift (mu), e.g. 0.08
 * @param volatility annualised volatility (sigma), e.g. 0.30
 */
public record SymbolSpec(String symbol, long startTicks, double drift, double volatility) {

    /** Prices have two decimals: one tick is 0.01. */
    public static final int DECIMALS = 2;
    static final String SYMBOL_PATTERN = "[A-Z0-9][A-Z0-9.\\-]{0,11}";

    public SymbolSpec {
        if (symbol == null || !symbol.matches(SYMBOL_PATTERN)) {
            throw new IllegalArgumentException("'" + symbol + "' is not a ticker: use 1 to 12 letters, digits, '.'"
                    + " or '-', starting with a letter or digit (e.g. AAPL, BRK.B)");
        }
        if (startTicks < 1) {
            throw new IllegalArgumentException(symbol + ": the start price must be at least one tick");
        }
        if (!(volatility >= 0 && volatility <= 5) || !Double.isFinite(drift) || Math.abs(drift) > 5) {
            throw new IllegalArgumentException(symbol + ": drift must be within ±5 and volatility within 0..5 (annualised)");
        }
    }

    /** Familiar tickers with plausible prices, drifts and volatilities: the default board. */
    static final List<SymbolSpec> FAMILIAR = List.of(
            new SymbolSpec("AAPL", 22_950, 0.10, 0.25),
            new SymbolSpec("MSFT", 41_520, 0.09, 0.23),
            new SymbolSpec("GOOGL", 17_830, 0.08, 0.28),
            new SymbolSpec("AMZN", 19_410, 0.09, 0.30),
            new SymbolSpec("NVDA", 13_860, 0.15, 0.50),
            new SymbolSpec("META", 58_740, 0.10, 0.35),
            new SymbolSpec("TSLA", 24_380, 0.05, 0.60),
            new SymbolSpec("JPM", 23_110, 0.06, 0.20),
            new SymbolSpec("V", 29_870, 0.07, 0.18),
            new SymbolSpec("NFLX", 70_260, 0.08, 0.38),
            new SymbolSpec("AMD", 15_290, 0.06, 0.48),
            new SymbolSpec("KO", 6_230, 0.04, 0.15));

    private static final Map<String, SymbolSpec> BY_NAME = FAMILIAR.stream()
            .collect(java.util.stream.Collectors.toUnmodifiableMap(SymbolSpec::symbol, s -> s));

    /** The default symbols, comma-separated, as the options show them. */
    public static String defaultSymbols() {
        return String.join(",", FAMILIAR.stream().map(SymbolSpec::symbol).toList());
    }

    /**
     * The spec of a ticker: a familiar one as listed above, any other with a price, drift and
     * volatility drawn from the seed and the name (so the same seed gives the same spec).
     *
     * @throws IllegalArgumentException when the name is not a ticker
     */
    public static SymbolSpec of(String name, long seed) {
        String symbol = name.strip().toUpperCase(Locale.ROOT);
        SymbolSpec known = BY_NAME.get(symbol);
        if (known != null) {
            return known;
        }
        SplittableRandom r = new SplittableRandom(seed ^ (symbol.hashCode() * 0x9E3779B97F4A7C15L));
        long start = 1_000 + r.nextLong(49_000); // 10.00 .. 500.00
        double drift = 0.02 + r.nextDouble() * 0.10;
        double vol = 0.15 + r.nextDouble() * 0.45;
        return new SymbolSpec(symbol, start, Math.round(drift * 100) / 100.0, Math.round(vol * 100) / 100.0);
    }
}
