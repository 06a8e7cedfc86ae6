package dev.sluice.demo;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What the simulator is asked for.
 *
 * @param symbols           the tickers, in board order
 * @param ratePerSymbol     mean quotes per second per symbol
 * @param seed              the same seed gives the same series
 * @param speed             market seconds per second of the clock
 * @param burstEverySeconds mean calm time between volatility bursts per symbol; 0 for none
 */
public record DemoSettings(List<SymbolSpec> symbols, double ratePerSymbol, long seed, double speed,
                           double burstEverySeconds) {

    /** Most symbols one simulator runs. */
    public static final int MAX_SYMBOLS = 5_000;
    /** Most quotes per second per symbol. */
    public static final double MAX_RATE = 10_000;

    public DemoSettings {
        symbols = List.copyOf(symbols);
        if (symbols.isEmpty() || symbols.size() > MAX_SYMBOLS) {
            throw new IllegalArgumentException("give 1 to " + MAX_SYMBOLS + " symbols, got " + symbols.size());
        }
        if (!(ratePerSymbol > 0 && ratePerSymbol <= MAX_RATE)) {
            throw new IllegalArgumentException("quotes per second per symbol must be above 0 and at most "
                    + (long) MAX_RATE + ", got " + ratePerSymbol);
        }
        if (!(speed > 0 && speed <= 100_000)) {
            throw new IllegalArgumentException("speed must be above 0 and at most 100000, got " + speed);
        }
        if (!(burstEverySeconds >= 0) || Double.isInfinite(burstEverySeconds)) {
            throw new IllegalArgumentException("burst spacing must be 0 (none) or more seconds, got " + burstEverySeconds);
        }
    }

    /**
     * Parses a comma-separated list of tickers (case-insensitive, duplicates dropped); an entry
     * {@code N*} (e.g. {@code 500*}) adds N generated tickers {@code S0001}, {@code S0002}… for load.
     *
     * @throws IllegalArgumentException naming the entry that is not a ticker
     */
    public static List<SymbolSpec> parseSymbols(String list, long seed) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (String raw : list.split(",")) {
            String name = raw.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (name.matches("\\d{1,5}\\*")) {
                int n = Integer.parseInt(name.substring(0, name.length() - 1));
                if (n < 1 || n > MAX_SYMBOLS) {
                    throw new IllegalArgumentException("'" + name + "': generate 1 to " + MAX_SYMBOLS + " symbols");
                }
                for (int i = 1; i <= n; i++) {
                    names.add(String.format(java.util.Locale.ROOT, "S%04d", i));
                }
            } else {
                names.add(name.toUpperCase(java.util.Locale.ROOT));
            }
        }
        List<SymbolSpec> out = new ArrayList<>();
        for (String name : names) {
            out.add(SymbolSpec.of(name, seed));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no symbols given: e.g. AAPL,MSFT or 500*");
        }
        return out;
    }
}
