package dev.sluice.cli;

import dev.sluice.config.ConfigException;
import dev.sluice.demo.DemoSettings;
import dev.sluice.demo.SymbolSpec;
import picocli.CommandLine.Option;

/** The simulator's options, shared by {@code serve --demo} and {@code demo}. */
final class DemoOptions {

    @Option(names = "--demo-symbols", paramLabel = "SYM,...", defaultValue = "AAPL,MSFT,GOOGL,AMZN,NVDA,META,TSLA,JPM,V,NFLX,AMD,KO",
            description = "Tickers of the simulated market (comma-separated; N* adds N generated ones, e.g. 500*)."
                    + " Default: ${DEFAULT-VALUE}")
    String symbols;

    @Option(names = "--demo-rate", paramLabel = "N", defaultValue = "4",
            description = "Mean quotes per second per symbol (Poisson arrivals), up to 10000. Default: ${DEFAULT-VALUE}")
    double rate;

    @Option(names = "--demo-seed", paramLabel = "S", defaultValue = "42",
            description = "Seed of the simulation: the same seed gives the same series of prices, sizes and spreads."
                    + " Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--demo-speed", paramLabel = "X", defaultValue = "60",
            description = "Market time per second of the clock, for the drift and volatility (60: one second is one"
                    + " trading minute). Default: ${DEFAULT-VALUE}")
    double speed;

    @Option(names = "--demo-bursts", paramLabel = "SECONDS", defaultValue = "120",
            description = "Mean calm time between volatility bursts of a symbol, in seconds of the clock (0: no"
                    + " bursts). Default: ${DEFAULT-VALUE}")
    double burstEvery;

    DemoSettings settings() {
        java.util.List<SymbolSpec> specs;
        try {
            specs = DemoSettings.parseSymbols(symbols, seed);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--demo-symbols", e.getMessage());
        }
        if (!(rate > 0 && rate <= DemoSettings.MAX_RATE)) {
            throw new ConfigException("--demo-rate", "must be above 0 and at most " + (long) DemoSettings.MAX_RATE
                    + " quotes per second per symbol, got " + rate);
        }
        if (!(speed > 0 && speed <= 100_000)) {
            throw new ConfigException("--demo-speed", "must be above 0 and at most 100000, got " + speed);
        }
        if (!(burstEvery >= 0) || Double.isInfinite(burstEvery)) {
            throw new ConfigException("--demo-bursts", "must be 0 (no bursts) or a number of seconds, got " + burstEvery);
        }
        return new DemoSettings(specs, rate, seed, speed, burstEvery);
    }
}
