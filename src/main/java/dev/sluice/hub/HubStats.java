package dev.sluice.hub;

import java.util.function.ToLongFunction;

/**
 * What the hub has done, for metrics and health: sums of the loops' own counters (racy reads of
 * loop-confined longs: a stale value is fine for observation) and the log's figures (read under
 * the history monitor).
 */
public final class HubStats {

    private final Hub hub;
    private final History history;
    private final Throttler throttler;
    private final Replayer replayer;
    private final LoopDispatcher[] dispatchers;

    HubStats(Hub hub, History history, Throttler throttler, Replayer replayer, LoopDispatcher[] dispatchers) {
        this.hub = hub;
        this.history = history;
        this.throttler = throttler;
        this.replayer = replayer;
        this.dispatchers = dispatchers;
    }

    public int subscribers() {
        return hub.subscribers();
    }

    /** Events written to subscribers live. */
    public long deliveries() {
        return sum(c -> c.deliveries);
    }

    public long subscriptions() {
        return sum(c -> c.subscriptions);
    }

    /** Events written to subscribers from history (resumes and snapshots). */
    public long replayed() {
        return sum(c -> c.replayed);
    }

    public long heartbeats() {
        return sum(c -> c.heartbeats);
    }

    /** Pending updates replaced by a newer one for a subscriber that was behind. */
    public long conflated() {
        return sum(c -> c.conflated);
    }

    /** Times a loop fell so far behind that its subscribers went back to reading history. */
    public long overflows() {
        return sum(c -> c.overflows);
    }

    /**
     * Updates history dropped before an event loop, catching up after an overflow, could send
     * them: that loop's subscribers miss them. Counted once per loop, whatever its subscribers.
     */
    public long dispatchGaps() {
        return sum(c -> c.dispatchGaps);
    }

    /** Streams ended, by cause. */
    public long closed(CloseCause cause) {
        int i = cause.ordinal();
        return sum(c -> c.closed[i]);
    }

    /** Subscribers cut loose for exceeding their byte budget or conflation keys. */
    public long slowDisconnects() {
        return closed(CloseCause.SLOW);
    }

    public long queuedDispatches() {
        long n = 0;
        for (LoopDispatcher d : dispatchers) {
            n += d.queued();
        }
        return n;
    }

    /** Events taken into the local log. */
    public long published() {
        synchronized (history) {
            return hub.published;
        }
    }

    /** Events a loop's full inbox refused (its subscribers then read them from history). */
    public long dispatchRefused() {
        synchronized (history) {
            return hub.dispatchRefused;
        }
    }

    /** Live updates replaced by a newer one inside a throttle interval. */
    public long throttled() {
        synchronized (history) {
            return throttler.replaced;
        }
    }

    /**
     * Updates history had dropped before a replaying stream (a resume, or a live stream that fell
     * behind with throttled topics configured) read that far: counted per stream, whether or not
     * the updates were for it.
     */
    public long replayGaps() {
        return replayer.gaps();
    }

    public int historyCount() {
        synchronized (history) {
            return history.count();
        }
    }

    public long historyBytes() {
        synchronized (history) {
            return history.bytes();
        }
    }

    /** Hand-over of an update to the loops → each loop's last write of it, summed over loops. */
    public LatencyHistogram.Snapshot fanoutLatency() {
        java.util.List<LatencyHistogram> parts = new java.util.ArrayList<>(dispatchers.length);
        for (LoopDispatcher d : dispatchers) {
            parts.add(d.counters.fanout);
        }
        return LatencyHistogram.sum(LatencyHistogram.FANOUT_BOUNDS, parts);
    }

    /** Start of a resume's replay → the stream caught up with live, summed over loops. */
    public LatencyHistogram.Snapshot replayDuration() {
        java.util.List<LatencyHistogram> parts = new java.util.ArrayList<>(dispatchers.length);
        for (LoopDispatcher d : dispatchers) {
            parts.add(d.counters.replay);
        }
        return LatencyHistogram.sum(LatencyHistogram.REPLAY_BOUNDS, parts);
    }

    private long sum(ToLongFunction<LoopCounters> counter) {
        long n = 0;
        for (LoopDispatcher d : dispatchers) {
            n += counter.applyAsLong(d.counters);
        }
        return n;
    }
}
