package dev.sluice.hub;

/**
 * Durations counted into fixed buckets, written by one event loop only and read racily at scrape
 * time (as {@link LoopCounters}). Recording is a scan of a few bounds and three plain long
 * increments: no allocation, no atomic, no lock, so it can sit on the fan-out path. The scrape sums
 * the loops' histograms, so one histogram per gateway is exported as a Prometheus histogram whose
 * buckets add up across nodes as well.
 *
 * <p>A racy read may see a bucket incremented before the count or sum of the same observation;
 * the snapshot derives the count from the buckets, so count and buckets always agree and the sum
 * is at most one observation behind per loop.
 */
public final class LatencyHistogram {

    /**
     * Fan-out buckets, in seconds: from 50 µs (one loop writing to a handful of subscribers) to
     * 2.5 s (a loop far behind, about to overflow to history). Most of a healthy gateway's
     * observations land under 10 ms.
     */
    public static final double[] FANOUT_BOUNDS = {
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

    /**
     * Replay buckets, in seconds: from 1 ms (a resume with a few missed updates) to 60 s (a client
     * reading a large history over a slow link at its own pace).
     */
    public static final double[] REPLAY_BOUNDS = {
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final double[] bounds;
    private final long[] boundNanos;
    /** counts[i]: observations at or under bounds[i] and over bounds[i-1]; the last is +Inf. */
    private final long[] counts;
    private long sumNanos;

    LatencyHistogram(double[] boundsSeconds) {
        this.bounds = boundsSeconds.clone();
        this.boundNanos = new long[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            boundNanos[i] = Math.round(bounds[i] * 1e9);
        }
        this.counts = new long[bounds.length + 1];
    }

    /** On the owning loop. */
    void record(long nanos) {
        int i = 0;
        while (i < boundNanos.length && nanos > boundNanos[i]) {
            i++;
        }
        counts[i]++;
        sumNanos += Math.max(0, nanos);
    }

    /** What a scrape exports: non-cumulative counts per bucket (the last is +Inf) and the sum. */
    public record Snapshot(double[] upperBounds, long[] counts, double sumSeconds) {
        public long count() {
            long n = 0;
            for (long c : counts) {
                n += c;
            }
            return n;
        }
    }

    /** The sum of several loops' histograms of the same bounds; any thread, racy reads. */
    static Snapshot sum(double[] bounds, Iterable<LatencyHistogram> parts) {
        long[] counts = new long[bounds.length + 1];
        long sum = 0;
        for (LatencyHistogram h : parts) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] += h.counts[i];
            }
            sum += h.sumNanos;
        }
        return new Snapshot(bounds.clone(), counts, sum / 1e9);
    }
}
