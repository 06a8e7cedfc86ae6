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
    final long[] closed = new long[CloseCause.values().length];
}
