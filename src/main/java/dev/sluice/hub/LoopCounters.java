package dev.sluice.hub;

/**
 * Counters of one event loop, written only on that loop (plain longs: no shared atomic on the hot
 * path) and read racily by {@link HubStats} at scrape time, where a stale value is fine.
 */
final class LoopCounters {
    long deliveries;
    long subscriptions;
    long replayed;
    long heartbeats;
    long conflated;
    long overflows;
    /** Updates history dropped before this loop, catching up after an overflow, could send them. */
    long dispatchGaps;
    final long[] closed = new long[CloseCause.values().length];
    /** Hand-over to the loops → the loop's last write of that update; one observation per update. */
    final LatencyHistogram fanout = new LatencyHistogram(LatencyHistogram.FANOUT_BOUNDS);
    /** Stream start → caught up with live, for streams that resumed from history. */
    final LatencyHistogram replay = new LatencyHistogram(LatencyHistogram.REPLAY_BOUNDS);
}
