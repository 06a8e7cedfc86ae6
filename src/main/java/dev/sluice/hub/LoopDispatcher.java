package dev.sluice.hub;

import dev.sluice.topic.SelectorCache;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to the subscribers of one event loop.
 *
 * <p>Publishers hand events to {@link #offer} from any thread: a lock-free multi-producer queue
 * and at most one pending drain task per loop, however many events arrive. The drain runs on the
 * loop, writes each event to every matching subscriber of this loop and flushes each touched
 * channel once at the end of the batch, so a burst of events costs one flush per subscriber, not
 * one per event. Everything the drain touches (the index, the subscribers) is confined to this
 * loop, which is why no lock is taken per subscriber and no memory is allocated per delivery.
 * Catching up after an overflow keeps that: the history monitor is taken once per batch of up to
 * {@value #BATCH} events read, into an array made once per loop, and each event then goes through
 * the same matching and writes as a queued one.
 */
final class LoopDispatcher implements Runnable, TopicIndex.Visitor {

    /** Events delivered per drain before yielding the loop to I/O. */
    private static final int BATCH = 256;
    /**
     * Writes after which the touched channels are flushed even mid-batch. Each unflushed write
     * holds a recycled duplicate and outbound entry; Netty's recyclers keep 4,096 per thread, so
     * staying well under that keeps fan-out allocation-free (measured by DispatchAllocationTest).
     */
    private static final int FLUSH_EVERY_WRITES = 1024;
    /**
     * A drain yields the loop after this many writes or this long, whichever comes first, so a
     * loop with many subscribers still answers publishes, health checks and reads in between: an
     * event to 10,000 subscribers is a few slices, not a stall of the whole burst.
     *
     * <p>The write cap also keeps fan-out allocation-free on io_uring. There a flush only queues a
     * send in the submission ring; the loop submits the sends when the drain returns and recycles
     * their outbound entries and duplicates when it reads the completions, on its next turn. Every
     * write of a run is therefore still held when the run ends, and more than the recyclers keep
     * per thread (4,096) would make new objects. On epoll a flush sends at once, and the time
     * limit ends a run long before this many writes.
     */
    private static final int MAX_WRITES_PER_RUN = 2_048;
    private static final long MAX_RUN_NANOS = 1_000_000;
    private static final long GAP_WARNING_INTERVAL_NANOS = 10_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(LoopDispatcher.class);

    /** What {@link #offer} did with an event. */
    enum Offer {
        /** Queued for delivery. */
        ACCEPTED,
        /**
         * Refused: the inbox was full (or had overflowed and not yet recovered). Nothing is lost:
         * the event is in history, and this loop reads it from there.
         */
        REFUSED
    }

    final EventLoop loop;
    private final Replayer replayer;
    private final SelectorCache selectors;
    private final Queue<Event> inbox = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    final TopicIndex index = new TopicIndex();
    /** Every registered subscriber of this loop, for heartbeats and shutdown. */
    final ArrayList<Subscriber> subscribers = new ArrayList<>();
    private Subscriber[] touched = new Subscriber[64];
    private int touchedCount;
    private long batchNanos;
    private boolean iterating;
    private int unflushedWrites;
    private int writesThisRun;
    private final int maxQueued;
    /**
     * Set by publishers when the inbox is full; cleared by the loop once it has caught up. Written
     * under the history monitor when the loop reads history itself ({@link #pullOnOverflow}).
     */
    private volatile boolean overflowed;
    /**
     * How the loop catches up after an overflow. True: it reads the events it did not queue from
     * history itself, in order, and dispatches them like queued ones (one topic lookup per event,
     * whatever the number of subscribers). False, when throttled topics are configured (their
     * updates reach the loops out of sequence order, so history's order is not theirs): each live
     * subscriber replays history from where it got to.
     */
    private final boolean pullOnOverflow;
    private final History history;
    /** Sequence number of the first event refused since the last overflow; under the monitor. */
    private long firstRefused;
    /** Reading history instead of the inbox; loop-confined, changed under the monitor. */
    private boolean pulling;
    /** Last sequence number read from history while {@link #pulling}. */
    private long pullCursor;
    /** Events read from history and not dispatched yet, each holding one reference. */
    private final Event[] pulled = new Event[BATCH];
    private int pulledIndex;
    private int pulledCount;
    /** Whether the event being dispatched came from history (see {@link Subscriber#deliver}). */
    private boolean dispatchingPulled;
    private long lastGapWarningNanos;
    /** Replaying subscribers waiting for their next batch; loop-confined. */
    private final java.util.ArrayDeque<Subscriber> pumpQueue = new java.util.ArrayDeque<>();
    private final Runnable pumpTask = this::runPumps;
    private boolean pumpScheduled;
    /** Read by publishers to skip loops without subscribers; written on the loop. */
    volatile int subscriberCount;
    final LoopCounters counters = new LoopCounters();
    /**
     * Highest sequence number this loop has dispatched: its live subscribers have been through
     * every event up to it (a drained stream's resume position). Loop-confined.
     */
    long dispatchedSeq;

    LoopDispatcher(EventLoop loop, Replayer replayer, SelectorCache selectors, int maxQueued,
                   History history, boolean pullOnOverflow) {
        this.loop = loop;
        this.history = history;
        this.pullOnOverflow = pullOnOverflow;
        this.replayer = replayer;
        this.selectors = selectors;
        this.maxQueued = maxQueued;
    }

    /**
     * Any thread. The caller has retained the event's chunk once for this dispatcher.
     *
     * <p>The inbox is bounded: a loop that falls more than {@code maxQueued} events behind (a
     * publish rate it cannot keep up with) stops queueing. The event is in history already, so
     * nothing is lost: the loop dispatches what it queued, then reads the events after it from
     * history, in order, until it reaches the newest, and queues again from there. Memory stays
     * bounded by the history instead of growing with the backlog. Called under the history
     * monitor (by the hub, in sequence order), which is what makes the switch back exact.
     *
     * <p>The inbox takes over the caller's reference when it accepts the event; when it refuses,
     * the reference is released here.
     */
    Offer offer(Event e) {
        Offer result;
        if (overflowed || inbox.size() >= maxQueued) {
            if (!overflowed) {
                firstRefused = e.seq;
                overflowed = true;
            }
            e.chunk.release();
            result = Offer.REFUSED;
        } else {
            inbox.offer(e);
            result = Offer.ACCEPTED;
        }
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            loop.execute(this);
        }
        return result;
    }

    @Override
    public void run() {
        scheduled.set(false);
        if (overflowed && !pullOnOverflow) {
            catchUpFromHistory();
        }
        batchNanos = System.nanoTime();
        int n = 0;
        writesThisRun = 0;
        Event e;
        iterating = true;
        try {
            while (n < BATCH && writesThisRun < MAX_WRITES_PER_RUN
                    && System.nanoTime() - batchNanos < MAX_RUN_NANOS && (e = next()) != null) {
                try {
                    int writesBefore = writesThisRun;
                    index.forEachMatch(e, this);
                    if (writesThisRun != writesBefore) {
                        // One observation per loop per update, after its last write here: a
                        // clock read and three increments of loop-confined longs, no allocation
                        // and no shared atomic, however many subscribers the update reached.
                        counters.fanout.record(System.nanoTime() - e.offeredNanos);
                    }
                } finally {
                    e.chunk.release();
                }
                if (e.seq > dispatchedSeq) {
                    dispatchedSeq = e.seq;
                }
                n++;
                if (unflushedWrites >= FLUSH_EVERY_WRITES) {
                    flushTouched();
                }
            }
        } finally {
            iterating = false;
        }
        flushTouched();
        if ((!inbox.isEmpty() || overflowed || pulledIndex < pulledCount)
                && !scheduled.get() && scheduled.compareAndSet(false, true)) {
            // Not execute(): Netty runs tasks added while it runs tasks in the same turn (for up to
            // a second), so a busy loop would not read sockets meanwhile. A task scheduled now is
            // taken at the loop's next turn, after its I/O: publishes and health checks get in.
            loop.schedule(this, 0, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The next event to dispatch: what was read from history and not dispatched yet, else the
     * inbox, else (after an overflow, once the inbox is drained) the next events from history.
     */
    private Event next() {
        Event e;
        if (pulledIndex < pulledCount) {
            e = pulled[pulledIndex];
            pulled[pulledIndex++] = null;
            dispatchingPulled = true;
            return e;
        }
        dispatchingPulled = false;
        e = inbox.poll();
        if (e == null && overflowed && pullOnOverflow && readHistory()) {
            e = pulled[pulledIndex];
            pulled[pulledIndex++] = null;
            dispatchingPulled = true;
        }
        return e;
    }

    /**
     * After an overflow, with the inbox drained (it held every event before the first refused
     * one): reads the next batch of events from history, retaining each. On reaching the newest
     * event the loop queues again: offers come under the same monitor, so the first one accepted
     * afterwards is the event right after the last one read. Events history dropped before the
     * loop got to them are skipped, counted and logged: this loop's subscribers never get them
     * (a loop more than the history behind). Returns true if it read any. On the loop.
     */
    private boolean readHistory() {
        pulledIndex = 0;
        pulledCount = 0;
        long skipped = 0;
        synchronized (history) {
            if (!pulling) {
                pulling = true;
                pullCursor = firstRefused - 1;
                counters.overflows++;
            }
            long from = pullCursor + 1;
            if (from < history.oldest()) {
                skipped = history.oldest() - from;
                from = history.oldest();
            }
            long to = Math.min(history.head(), from + pulled.length - 1);
            for (long seq = from; seq <= to; seq++) {
                Event e = history.at(seq);
                if (e != null) {
                    e.chunk.retain();
                    pulled[pulledCount++] = e;
                }
            }
            pullCursor = Math.max(pullCursor, to);
            if (pullCursor >= history.head()) {
                pulling = false;
                overflowed = false;
            }
        }
        if (skipped > 0) {
            counters.dispatchGaps += skipped;
            long now = System.nanoTime();
            if (lastGapWarningNanos == 0 || now - lastGapWarningNanos > GAP_WARNING_INTERVAL_NANOS) {
                lastGapWarningNanos = now;
                LOG.warn("an event loop fell further behind than history holds: {} updates were dropped from history"
                        + " before it could send them, and its subscribers miss them ({} such updates on this loop so far;"
                        + " sluice_dispatch_gaps_total). Raise --history-size / --history-max-bytes, add CPU, or"
                        + " publish less", skipped, counters.dispatchGaps);
            }
        }
        return pulledCount > 0;
    }

    /**
     * Queues a subscriber for replay. Replays take turns, a batch each, in slices of at most
     * {@link #MAX_RUN_NANOS} per loop turn: thousands of subscribers catching up at once neither
     * stall the loop nor starve one another. On the loop.
     */
    void requestPump(Subscriber s) {
        if (!s.pumpQueued) {
            s.pumpQueued = true;
            pumpQueue.add(s);
        }
        if (!pumpScheduled) {
            pumpScheduled = true;
            loop.schedule(pumpTask, 0, TimeUnit.NANOSECONDS);
        }
    }

    private void runPumps() {
        pumpScheduled = false;
        long started = System.nanoTime();
        Subscriber s;
        while (System.nanoTime() - started < MAX_RUN_NANOS && (s = pumpQueue.poll()) != null) {
            s.pumpQueued = false;
            if (s.slot >= 0 && replayer.pumpOnce(s, this)) {
                requestPump(s); // back of the queue: the others get their turn first
            }
        }
        if (!pumpQueue.isEmpty() && !pumpScheduled) {
            pumpScheduled = true;
            loop.schedule(pumpTask, 0, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void visit(Subscriber s, Event e) {
        boolean wasDirty = s.dirty;
        if (s.deliver(e, selectors, batchNanos, counters, dispatchingPulled)) {
            unflushedWrites++;
            writesThisRun++;
        } else if (dispatchingPulled && s.state == Subscriber.State.REPLAYING) {
            requestPump(s); // its socket is behind: it reads the rest of the catch-up itself
        }
        if (!wasDirty && s.dirty) {
            if (touchedCount == touched.length) {
                touched = java.util.Arrays.copyOf(touched, touchedCount * 2);
            }
            touched[touchedCount++] = s;
        }
    }

    private void flushTouched() {
        for (int i = 0; i < touchedCount; i++) {
            Subscriber s = touched[i];
            touched[i] = null;
            if (s.dirty) {
                s.dirty = false;
                s.channel.flush();
            }
        }
        touchedCount = 0;
        unflushedWrites = 0;
    }

    /**
     * On the loop, after the inbox overflowed. Events offered while this runs are either dropped
     * here or skipped by subscribers that are replaying; history has them all.
     */
    private void catchUpFromHistory() {
        overflowed = false;
        discardInbox();
        counters.overflows++;
        for (int i = 0; i < subscribers.size(); i++) {
            Subscriber s = subscribers.get(i);
            s.catchUpFromHistory();
        }
        for (int i = 0; i < subscribers.size(); i++) {
            requestPump(subscribers.get(i));
        }
    }

    /** On the loop. */
    void register(Subscriber s) {
        index.add(s);
        s.slot = subscribers.size();
        subscribers.add(s);
        subscriberCount = subscribers.size();
        counters.subscriptions++;
    }

    /** On the loop; idempotent. */
    void unregister(Subscriber s) {
        if (s.slot < 0) {
            return;
        }
        if (iterating) {
            // Netty fires channelInactive later, never inside a write, but the index must not
            // change under forEachMatch even if that ever changes.
            loop.execute(() -> unregister(s));
            return;
        }
        index.remove(s);
        int last = subscribers.size() - 1;
        Subscriber moved = subscribers.get(last);
        subscribers.set(s.slot, moved);
        moved.slot = s.slot;
        subscribers.remove(last);
        s.slot = -1;
        subscriberCount = subscribers.size();
    }

    /** Drops queued events (shutdown), and those read from history and not dispatched. */
    void discardInbox() {
        Event e;
        while ((e = inbox.poll()) != null) {
            e.chunk.release();
        }
        while (pulledIndex < pulledCount) {
            pulled[pulledIndex].chunk.release();
            pulled[pulledIndex++] = null;
        }
    }

    int queued() {
        return inbox.size();
    }
}
