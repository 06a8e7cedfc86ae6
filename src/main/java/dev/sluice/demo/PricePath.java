package dev.sluice.demo;

import java.util.SplittableRandom;

/**
 * One symbol's simulated market: trades arrive as a Poisson process, and the price between two
 * trades moves by geometric Brownian motion, stepped exactly:
 *
 * <pre>S(t + dt) = S(t) · exp((mu − sigma²/2)·dt + sigma·√dt·Z),  Z ~ N(0, 1)</pre>
 *
 * so log-returns are normal with mean {@code (mu − sigma²/2)·dt} and variance {@code sigma²·dt}
 * for any {@code dt}, and the price can never reach zero (the Euler step {@code S·(1 + mu·dt +
 * sigma·√dt·Z)} can, and is biased for large steps). The exact price is kept as a double; what is
 * published is rounded to the tick, and never below one tick.
 *
 * <p>Time: {@code dt} is in years of 252 trading days of 6.5 hours, and market time runs
 * {@code speed} times faster than the clock, so a demo board moves visibly (at speed 60 one second
 * of the clock is one trading minute). Volatility bursts: calm spells end after an exponential time
 * (mean {@code burstEverySeconds} of the clock); a burst lasts 3 to 10 seconds and multiplies
 * sigma, the spread and the trade sizes by 3 to 6.
 *
 * <p>Reproducible: all randomness comes from one {@link SplittableRandom} seeded by the run's seed
 * and the symbol, drawn in a fixed order per trade, so the same seed gives the same series of
 * prices, sizes, spreads and arrival offsets, whatever other symbols are simulated beside it.
 */
final class PricePath {

    /** Seconds in a trading year: 252 days of 6.5 hours. */
    static final double TRADING_YEAR_SECONDS = 252 * 6.5 * 3600;

    private final SymbolSpec spec;
    private final SplittableRandom random;
    private final double ratePerSecond;
    private final double speed;
    private final double burstEverySeconds;

    private double logPrice;       // exact, log of the price in ticks (a double price could underflow)
    private double lastTime;       // ms since the market's origin
    private double nextArrival;    // ms since the market's origin
    private double burstUntil = -1;
    private double burstFactor = 1;
    private long seq;
    private long volume;

    /**
     * @param ratePerSecond     mean trades per second of the clock (Poisson arrivals)
     * @param speed             market seconds per second of the clock
     * @param burstEverySeconds mean calm time between volatility bursts; 0 for none
     */
    PricePath(SymbolSpec spec, long seed, double ratePerSecond, double speed, double burstEverySeconds) {
        this.spec = spec;
        this.random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + spec.symbol().hashCode());
        this.ratePerSecond = ratePerSecond;
        this.speed = speed;
        this.burstEverySeconds = burstEverySeconds;
        this.logPrice = Math.log(spec.startTicks());
        this.nextArrival = exponentialMillis();
    }

    /** The exact GBM step over {@code dtYears} with the standard normal draw {@code z}. */
    static double step(double price, double drift, double volatility, double dtYears, double z) {
        return price * Math.exp(logStep(drift, volatility, dtYears, z));
    }

    SymbolSpec spec() {
        return spec;
    }

    /** When the next trade happens, in ms since the market's origin. */
    double nextArrival() {
        return nextArrival;
    }

    /** The exact (unrounded) price in ticks. */
    double exactPrice() {
        return Math.exp(logPrice);
    }

    /** The log of the exact price in ticks. */
    double logPrice() {
        return logPrice;
    }

    /** The exact step in log terms: what {@link #step} multiplies the price by, as a logarithm. */
    static double logStep(double drift, double volatility, double dtYears, double z) {
        return (drift - 0.5 * volatility * volatility) * dtYears + volatility * Math.sqrt(dtYears) * z;
    }

    /** Makes the trade due at {@link #nextArrival()} and schedules the one after. */
    Quote trade(long originMillis) {
        double t = nextArrival;
        nextArrival = t + exponentialMillis();
        return tradeAt(t, originMillis + (long) Math.floor(t));
    }

    /** Moves the price to {@code t} (ms since the origin) and makes a trade there. */
    Quote tradeAt(double t, long epochMillis) {
        double dtSeconds = Math.max(0, t - lastTime) / 1000.0;
        lastTime = t;
        if (burstEverySeconds > 0) {
            if (burstUntil >= 0 && t >= burstUntil) {
                burstUntil = -1;
                burstFactor = 1;
            }
            if (burstUntil < 0 && random.nextDouble() < -Math.expm1(-dtSeconds / burstEverySeconds)) {
                burstUntil = t + 3_000 + random.nextDouble() * 7_000;
                burstFactor = 3 + random.nextDouble() * 3;
            }
        }
        double dtYears = dtSeconds * speed / TRADING_YEAR_SECONDS;
        logPrice += logStep(spec.drift(), spec.volatility() * burstFactor, dtYears, random.nextGaussian());
        long last = Math.max(1, Math.round(Math.min(Math.exp(logPrice), 1e15)));
        long spread = Math.max(1, Math.round((1 + random.nextInt(3)) * burstFactor));
        long bid = Math.max(1, last - spread / 2);
        long ask = Math.max(bid + spread, last);
        bid = Math.min(bid, last);
        long size = Math.max(1, Math.round(Math.exp(4.6 + random.nextGaussian()) * burstFactor));
        volume += size;
        long change = last - spec.startTicks();
        long changeBp = Math.round(change * 10_000.0 / spec.startTicks());
        return new Quote(spec.symbol(), ++seq, epochMillis, last, bid, ask, change, changeBp, size, volume);
    }

    private double exponentialMillis() {
        return -Math.log(1 - random.nextDouble()) / ratePerSecond * 1000.0;
    }
}
