package dev.sluice.hub;

import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
import java.util.TreeSet;

/**
 * Where a new stream starts, and everything it is sent from history: the choice of resume point,
 * the opening with its position, the latest-value snapshot, and the replay, a batch per turn,
 * driven by the loop's dispatcher ({@link LoopDispatcher#requestPump}).
 *
 * <p>Every read of the history happens under its monitor, the same one under which the hub
 * appends and hands events to the loops. A subscriber's resume point read under it splits the log
 * exactly: what is at or before it comes from history, what is after it comes live. The monitor
 * is taken once per registration and once per replay batch, never per subscriber per event.
 */
final class Replayer {

    private final History history;
    private final SelectorCache selectors;
    private final int batch;
    private final Wire wire;
    /** Events resuming subscribers could not get because history had dropped them; under the monitor. */
    private long gaps;

    /** The log's partitions when there are several, else null. */
    private final dev.sluice.topic.Partitions partitions;

    Replayer(History history, SelectorCache selectors, int batch, Wire wire, dev.sluice.topic.Partitions partitions) {
        this.partitions = partitions;
        this.history = history;
        this.selectors = selectors;
        this.batch = batch;
        this.wire = wire;
    }

    /**
     * Decides where the subscriber starts. Called after it was registered with its loop, so every
     * event accepted from now on is offered to it, and the ones already accepted are at or before
     * the head read here.
     *
     * @param lastEventId the id to resume after, {@code earliest}, or null for live only
     */
    Hub.Resume resolve(Subscriber s, String lastEventId) {
        synchronized (history) {
            if (lastEventId == null) {
                s.state = Subscriber.State.LIVE;
                s.liveFrom = history.head();
                s.openingId = positionId(history.head());
                return new Hub.Resume(false, null);
            }
            s.state = Subscriber.State.REPLAYING;
            if (partitions != null) {
                var from = dev.sluice.topic.Partitions.Position.decode(lastEventId, partitions.count());
                if (from != null) {
                    s.resumedFrom = from;
                    s.cursor = cursorAfter(from, s.partitions == 0 ? partitions.all() : s.partitions);
                    return new Hub.Resume(true, lastEventId);
                }
            }
            long found = "earliest".equals(lastEventId) ? -1 : history.seqOf(lastEventId);
            if (found >= 0) {
                s.cursor = found;
                return new Hub.Resume(true, lastEventId);
            }
            // earliest, or an id we no longer (or never) had: everything retained.
            s.cursor = history.oldest() - 1;
            return new Hub.Resume(true, "earliest");
        }
    }

    /**
     * Where the replay of a position starts: just after the earliest event, among the partitions
     * the subscriber needs, that the position's node had read last. Those entries are looked up by
     * key, never searched; a partition whose entry this node no longer has (or never had) replays
     * from the oldest kept event. Events at or before the position in their partition are skipped
     * during the replay ({@link Subscriber#takes}), so this may start early but never late. Under
     * the monitor.
     */
    private long cursorAfter(dev.sluice.topic.Partitions.Position from, long needed) {
        long cursor = history.head();
        for (long m = needed; m != 0; m &= m - 1) {
            int p = Long.numberOfTrailingZeros(m);
            long seq = from.known(p) ? history.seqOf(from.key(p)) : -1;
            cursor = Math.min(cursor, seq >= 0 ? seq : history.oldest() - 1);
        }
        return cursor;
    }

    /**
     * The id that resumes right after the event with this sequence number: its own id when it is
     * kept, else {@code earliest} (everything kept is newer than an event that is gone, because
     * history drops the oldest first).
     */
    private String positionId(long seq) {
        Event e = history.at(seq);
        return e != null ? e.id : "earliest";
    }

    /** Sends the opening of the stream and starts its replay or snapshot. On the loop. */
    void start(Subscriber s, LoopDispatcher d) {
        long now = System.nanoTime();
        String position = s.openingId;
        s.openingId = null;
        if (position == null) {
            s.writeStatic(wire.openingChunk, wire.openingRaw, now);
        } else if (s.snapshot) {
            s.writeStatic(wire.openingChunk, wire.openingRaw, now);
            writeSnapshot(s, d, now);
            // The snapshot's ids are older than the position: move the client's last id back to it.
            s.writeOwned(wire.position(position, s.chunked), now);
        } else {
            s.writeOwned(wire.openingWithPosition(position, s.chunked), now);
        }
        if (s.state == Subscriber.State.REPLAYING) {
            s.replayStartedNanos = now;
        }
        d.requestPump(s);
        if (s.dirty) {
            s.dirty = false;
            s.channel.flush();
        }
    }

    /**
     * The latest retained event of every topic the subscriber matches, oldest first, each once.
     * Only events up to its live boundary: newer ones reach it live.
     */
    private void writeSnapshot(Subscriber s, LoopDispatcher d, long now) {
        synchronized (history) {
            TreeSet<Long> seqs = new TreeSet<>();
            boolean onlyExact = true;
            for (TopicSelector sel : s.selectors) {
                onlyExact &= sel.kind() == TopicSelector.Kind.EXACT;
            }
            if (onlyExact) {
                for (TopicSelector sel : s.selectors) {
                    long seq = history.latestOn(sel.source());
                    if (seq >= 0) {
                        seqs.add(seq);
                    }
                }
            } else {
                for (var entry : history.latestPerTopic()) {
                    for (TopicSelector sel : s.selectors) {
                        if (selectors.matches(sel, entry.getKey())) {
                            seqs.add(entry.getValue());
                            break;
                        }
                    }
                }
            }
            for (long seq : seqs) {
                Event e = history.at(seq);
                if (seq <= s.liveFrom && e != null && s.mayRead(e, selectors) && s.takes(e)) {
                    s.write(e, now);
                    d.counters.replayed++;
                }
            }
        }
    }

    /**
     * One replay batch (at most {@code batch} events, never past the channel's write watermark),
     * flushed; then conflated events if the subscriber is live. When the cursor reaches the head of
     * the history (checked under the monitor, so no event can slip in between) the subscriber turns
     * live. On the loop, from the dispatcher's round-robin pump queue. Returns true when the
     * subscriber could take more now.
     */
    boolean pumpOnce(Subscriber s, LoopDispatcher d) {
        long now = System.nanoTime();
        if (s.state == Subscriber.State.REPLAYING && s.channel.isWritable()) {
            synchronized (history) {
                long from = s.cursor + 1;
                if (from < history.oldest()) {
                    gaps += history.oldest() - from;
                    from = history.oldest();
                    s.cursor = from - 1;
                }
                long to = Math.min(history.head(), s.cursor + batch);
                // Writability is checked per write: the replay never goes past the watermark, and
                // the writability change resumes it.
                for (long seq = from; seq <= to && s.channel.isWritable(); seq++) {
                    Event e = history.at(seq);
                    s.cursor = seq;
                    if (e != null && s.wants(e, selectors)) {
                        s.write(e, now);
                        d.counters.replayed++;
                    }
                }
                if (s.cursor >= history.head()) {
                    s.liveFrom = s.cursor;
                    s.state = Subscriber.State.LIVE;
                    if (s.replayStartedNanos != 0) {
                        d.counters.replay.record(System.nanoTime() - s.replayStartedNanos);
                        s.replayStartedNanos = 0;
                    }
                }
            }
            if (s.dirty) {
                s.dirty = false;
                s.channel.flush();
            }
        }
        if (s.state == Subscriber.State.LIVE && s.drainConflated(now, d.counters)) {
            s.dirty = false;
            s.channel.flush();
        }
        return s.state == Subscriber.State.REPLAYING && s.channel.isWritable();
    }

    long gaps() {
        synchronized (history) {
            return gaps;
        }
    }
}
