package dev.sluice.demo;

/**
 * Aggregates one symbol's quotes into bars of one interval. The caller closes the open bar before
 * it adds the first quote of a later interval ({@link #end()} says when), so every bar holds
 * exactly the quotes whose {@code ts} lies in its interval.
 */
final class BarBuilder {

    private final String symbol;
    private final BarInterval interval;
    private long start;
    private long seq;
    private long open;
    private long high;
    private long low;
    private long close;
    private long volume;
    private int trades;
    private long lastClose;

    BarBuilder(String symbol, BarInterval interval, long firstMillis, long openingTicks) {
        this.symbol = symbol;
        this.interval = interval;
        this.start = interval.startOf(firstMillis);
        this.lastClose = openingTicks;
    }

    /** Exclusive end of the open bar: a quote at or after it belongs to a later bar. */
    long end() {
        return start + interval.millis();
    }

    void add(Quote q) {
        if (q.ts() < start || q.ts() >= end()) {
            throw new IllegalStateException("quote at " + q.ts() + " outside the open bar [" + start + ", " + end() + ")");
        }
        if (trades == 0) {
            open = high = low = q.last();
        } else {
            high = Math.max(high, q.last());
            low = Math.min(low, q.last());
        }
        close = q.last();
        volume += q.size();
        trades++;
    }

    /** Ends the open bar and opens the next one. */
    Bar close() {
        Bar bar = trades == 0
                ? new Bar(symbol, interval, ++seq, start, lastClose, lastClose, lastClose, lastClose, 0, 0)
                : new Bar(symbol, interval, ++seq, start, open, high, low, close, volume, trades);
        lastClose = bar.close();
        start += interval.millis();
        volume = 0;
        trades = 0;
        return bar;
    }
}
