package dev.sluice.hub;

import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.Update;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The hub: the order of the local log, and the hand-over of each event to the event loops that
 * deliver it.
 *
 * <p>Ordering: a transport hands updates to {@link #accept} in log order. Each is encoded once,
 * given the next local sequence number, kept in history and offered to every loop holding
 * subscribers, all under the history monitor, so every loop sees events in sequence order and a
 * subscriber's resume point (read by the {@link Replayer} under the same monitor) splits the log
 * exactly. The monitor is taken once per published update, never per subscriber.
 *
 * <p>The parts: {@link LoopDispatcher} delivers on each loop, {@link Replayer} opens streams and
 * replays history, {@link Sweeper} sends heartbeats and ends expired streams, {@link Throttler}
 * thins throttled topics, {@link HubStats} reads the counters. The reference counts of an event's
 * bytes are described in {@link Event}.
 */
public final class Hub implements AutoCloseable {

    /** What a subscriber's resume request resolved to. */
    public record Resume(boolean requested, String responseLastEventId) {}

    private final HubSettings settings;
    private final History history;
    private final SseEncoder encoder;
    private final SelectorCache selectorCache;
    private final Wire wire;
    private final LoopDispatcher[] dispatchers;
    private final Map<EventExecutor, LoopDispatcher> byLoop = new IdentityHashMap<>();
    private final Replayer replayer;
    private final Sweeper sweeper;
    private final TopicSelector[] conflate;
    private final Throttler throttler;
    private final HubStats stats;
    /** The log's partitions when there are several, else null. */
    private final dev.sluice.topic.Partitions partitions;
    /** Under the history monitor (read by {@link HubStats}). */
    long published;
    /** Under the history monitor: offers a full loop inbox refused. */
    long dispatchRefused;
    /** Set once, when the gateway starts draining; then the waves that end the streams. */
    private volatile boolean draining;
    private volatile Drainer drainer;

    public Hub(HubSettings settings, EventLoopGroup loops, SelectorCache selectorCache, ByteBufAllocator allocator) {
        this.settings = settings;
        this.history = new History(settings.historySize, settings.historyMaxBytes);
        this.encoder = new SseEncoder(allocator);
        this.selectorCache = selectorCache;
        this.wire = new Wire(settings.retryMillis, settings.reconnectRetryMillis, settings.closeGrace.toMillis(),
                settings.positionEvent, allocator);
        this.partitions = settings.partitions > 1 ? new dev.sluice.topic.Partitions(settings.partitions) : null;
        this.replayer = new Replayer(history, selectorCache, settings.replayBatch, wire, partitions);
        List<LoopDispatcher> list = new ArrayList<>();
        for (EventExecutor executor : loops) {
            LoopDispatcher d = new LoopDispatcher((EventLoop) executor, replayer, selectorCache,
                    settings.maxQueuedPerLoop, history, settings.throttle.isEmpty());
            list.add(d);
            byLoop.put(executor, d);
        }
        this.dispatchers = list.toArray(LoopDispatcher[]::new);
        this.conflate = settings.conflate.stream().map(selectorCache::selector).toArray(TopicSelector[]::new);
        List<Throttler.Rule> rules = new ArrayList<>();
        settings.throttle.forEach((sel, interval) -> rules.add(new Throttler.Rule(selectorCache.selector(sel), interval)));
        this.throttler = new Throttler(rules, selectorCache, dispatchers[0].loop, history, this::offerToLoops);
        this.sweeper = new Sweeper(dispatchers, settings.heartbeat, settings.maxConnectionAge, wire);
        this.stats = new HubStats(this, history, throttler, replayer, dispatchers);
    }

    public SelectorCache selectors() {
        return selectorCache;
    }

    /** The log's partitions when there are several, else null. */
    public dev.sluice.topic.Partitions partitions() {
        return partitions;
    }

    public HubStats stats() {
        return stats;
    }

    /**
     * Takes the next update of the log. Must be called by one thread at a time, in log order
     * (the transport's job). Returns the local sequence number given to it.
     */
    public long accept(Update update) {
        var chunk = encoder.encode(update);
        String canonical = update.canonicalTopic();
        String conflateKey = settings.conflateAll || selectorCache.anyMatches(conflate, canonical) ? canonical : null;
        long throttleNanos = throttler.isEmpty() ? 0 : throttler.intervalFor(canonical);
        dev.sluice.topic.Partitions.Position at = null;
        long mask = 0;
        if (partitions != null) {
            // The transport gives every update of a partitioned log its position as id.
            at = dev.sluice.topic.Partitions.Position.decode(update.id(), partitions.count());
            if (at == null) {
                throw new IllegalArgumentException("update '" + update.id() + "' of a partitioned log has no position");
            }
            mask = partitions.ofTopics(update.topics());
        }
        synchronized (history) {
            Event e = new Event(history.nextSeq(), update, chunk, conflateKey);
            if (at != null) {
                e.partition = at.own();
                e.partitionMask = mask;
                e.entryMillis = at.millis()[at.own()];
                e.entrySeq = at.seq()[at.own()];
                e.indexKey = at.key(at.own());
            }
            // Hand it to the loops before the history may release its own reference.
            if (throttleNanos > 0) {
                throttler.offer(e, throttleNanos, System.nanoTime());
            } else {
                offerToLoops(e);
            }
            history.append(e);
            published++;
            return e.seq;
        }
    }

    /** Under the history monitor: one reference per loop that has subscribers. */
    private void offerToLoops(Event e) {
        e.offeredNanos = System.nanoTime();
        for (LoopDispatcher d : dispatchers) {
            if (d.subscriberCount > 0) {
                e.chunk.retain();
                if (d.offer(e) == LoopDispatcher.Offer.REFUSED) {
                    dispatchRefused++;
                }
            }
        }
    }

    /**
     * Registers a subscriber whose response head has not been written yet. Must run on the
     * subscriber's event loop. The caller writes the head (with {@link Resume#responseLastEventId()}
     * when asked for), then calls {@link #start}.
     *
     * @param lastEventId the id to resume after, {@code earliest}, or null for live only
     */
    public Resume register(Subscriber s, String lastEventId) {
        LoopDispatcher d = dispatcherOf(s);
        s.wire = wire;
        long maxAge = settings.maxConnectionAge.toNanos();
        if (maxAge > 0) {
            // Jitter, so that streams opened together (after a deploy, say) do not all come back together.
            long jitter = (long) (maxAge * HubSettings.MAX_AGE_JITTER);
            s.ageDeadlineNanos = System.nanoTime() + maxAge
                    + (jitter > 0 ? java.util.concurrent.ThreadLocalRandom.current().nextLong(jitter + 1) : 0);
            s.ageLimited = true;
        }
        // Register before the resume point is read: from now on every accepted event is offered
        // to this loop, and the ones already accepted are at or before that point.
        d.register(s);
        return replayer.resolve(s, lastEventId);
    }

    /** Sends the opening of the stream (with its position) and starts its replay. On the loop. */
    public void start(Subscriber s) {
        replayer.start(s, dispatcherOf(s));
    }

    /** Continues a replay once the channel is writable again. On the loop. */
    public void pump(Subscriber s) {
        dispatcherOf(s).requestPump(s);
    }

    /** On the loop, when the channel closed; counts the close by its cause. */
    public void unregister(Subscriber s) {
        LoopDispatcher d = dispatcherOf(s);
        if (s.state != Subscriber.State.CLOSED) {
            CloseCause cause = s.closeCause == null ? CloseCause.CLIENT : s.closeCause;
            d.counters.closed[cause.ordinal()]++;
        }
        s.state = Subscriber.State.CLOSED;
        s.releaseHeld();
        d.unregister(s);
    }

    /** On the loop: the connection failed unexpectedly; the caller closes it. */
    public void failed(Subscriber s) {
        if (s.closeCause == null) {
            s.closeCause = CloseCause.ERROR;
        }
    }

    /** Ends a stream because the hub stops: a hint, the last chunk, then close. On its loop. */
    public void end(Subscriber s) {
        if (s.channel.isActive()) {
            s.close(CloseCause.SHUTDOWN, System.nanoTime());
        }
    }

    /**
     * The gateway is going away: from now on {@link #draining()} is true (readiness answers 503),
     * nothing else changes until {@link #drainStreams} is called.
     */
    public void markDraining() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    /**
     * Ends every stream in waves spread over the period (see {@link Drainer}); returns at once.
     * Returns the number of waves.
     */
    public synchronized int drainStreams(java.time.Duration period) {
        draining = true;
        if (drainer == null) {
            drainer = new Drainer(this, dispatchers, wire, period);
        }
        return drainer.waves();
    }

    /**
     * The id a drained stream resumes after, or null to let the client keep its own last id. A
     * live subscriber has been through everything its loop dispatched (its position moves past
     * events of other topics, so a resume elsewhere reads little and never falls off history
     * needlessly), unless it holds conflated events its socket has not taken, or throttled
     * updates may still come out of order. A replaying one is where its replay got to. On the loop.
     */
    String drainPosition(Subscriber s, LoopDispatcher d) {
        long seq;
        if (s.state == Subscriber.State.LIVE) {
            if (s.holdsConflated()) {
                return null;
            }
            seq = Math.max(s.liveFrom, s.highestVisited);
            if (throttler.isEmpty()) {
                seq = Math.max(seq, d.dispatchedSeq);
            }
        } else {
            seq = s.cursor;
        }
        synchronized (history) {
            Event e = history.at(seq);
            return e == null ? null : e.id;
        }
    }

    /** The id of the newest event in the log, or {@code earliest} when there is none. */
    public String lastEventId() {
        synchronized (history) {
            Event e = history.at(history.head());
            return e == null ? "earliest" : e.id;
        }
    }

    private LoopDispatcher dispatcherOf(Subscriber s) {
        LoopDispatcher d = byLoop.get(s.channel.eventLoop());
        if (d == null) {
            throw new IllegalStateException("channel is not served by this hub's event loops");
        }
        return d;
    }

    /** Calls the action for every subscriber, on its own loop (used to end streams on shutdown). */
    public void forEachSubscriber(Consumer<Subscriber> action) {
        for (LoopDispatcher d : dispatchers) {
            d.loop.execute(() -> {
                for (Subscriber s : new ArrayList<>(d.subscribers)) {
                    action.accept(s);
                }
            });
        }
    }

    public int subscribers() {
        int n = 0;
        for (LoopDispatcher d : dispatchers) {
            n += d.subscriberCount;
        }
        return n;
    }

    /** True when an event with this id is in history. */
    public boolean knows(String id) {
        synchronized (history) {
            return history.seqOf(id) >= 0;
        }
    }

    @Override
    public void close() {
        sweeper.close();
        Drainer waves = drainer;
        if (waves != null) {
            waves.cancel();
        }
        for (LoopDispatcher d : dispatchers) {
            d.discardInbox();
        }
        synchronized (history) {
            throttler.clear();
            history.clear();
        }
        wire.release();
    }
}
