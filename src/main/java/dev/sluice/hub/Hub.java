package dev.sluice.hub;

import dev.sluice.topic.Update;
import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.SelectorCache;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The hub: the local log of events (history) and the per-event-loop dispatchers that deliver
 * them.
 *
 * <p>Ordering: a transport hands updates to {@link #accept} in log order. Each is encoded once,
 * given the next local sequence number, kept in history and offered to every loop holding
 * subscribers, all under the history monitor, so every loop sees events in sequence order and a
 * subscriber's resume point (a sequence number read under the same monitor) splits the log
 * exactly: what is at or before it comes from history, what is after it comes live.
 *
 * <p>The monitor is taken once per published update and once per replay batch, never per
 * subscriber per event.
 */
public final class Hub implements AutoCloseable {

    /** Hub settings that the hot path reads. */
    public record Settings(int historySize, long historyMaxBytes, long subscriberBudgetBytes, Duration heartbeat,
                           long retryMillis, long reconnectRetryMillis, Duration closeGrace, int replayBatch,
                           List<String> conflate, boolean conflateAll, Map<String, Duration> throttle,
                           int maxQueuedPerLoop) {
        public Settings {
            conflate = List.copyOf(conflate);
            throttle = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(throttle));
        }

        /** Settings with no conflation or throttling. */
        public Settings(int historySize, long historyMaxBytes, long subscriberBudgetBytes, Duration heartbeat,
                        long retryMillis, long reconnectRetryMillis, Duration closeGrace, int replayBatch) {
            this(historySize, historyMaxBytes, subscriberBudgetBytes, heartbeat, retryMillis, reconnectRetryMillis,
                    closeGrace, replayBatch, List.of(), false, Map.of(), 8192);
        }
    }

    /** Loop-confined counters; read racily by metrics (a stale value is fine there). */
    public static final class Counters {
        long deliveries;
        long slowDisconnects;
        long subscriptions;
        long replayed;
        long heartbeats;
        long conflated;
        long overflows;
    }

    /** What a subscriber's resume request resolved to. */
    public record Resume(boolean requested, String responseLastEventId) {}

    private final Settings settings;
    private final History history;
    private final SseEncoder encoder;
    final SelectorCache selectorCache;
    private final Wire wire;
    private final LoopDispatcher[] dispatchers;
    private final Map<EventExecutor, LoopDispatcher> byLoop = new IdentityHashMap<>();
    private final List<ScheduledFuture<?>> sweeps = new ArrayList<>();
    private final TopicSelector[] conflate;
    private final Throttler throttler;
    private long published;
    private long replayGaps;

    public Hub(Settings settings, EventLoopGroup loops, SelectorCache selectorCache, ByteBufAllocator allocator) {
        this.settings = settings;
        this.history = new History(settings.historySize(), settings.historyMaxBytes());
        this.encoder = new SseEncoder(allocator);
        this.selectorCache = selectorCache;
        this.wire = new Wire(settings.retryMillis(), settings.reconnectRetryMillis(), settings.closeGrace().toMillis());
        List<LoopDispatcher> list = new ArrayList<>();
        for (EventExecutor executor : loops) {
            LoopDispatcher d = new LoopDispatcher((EventLoop) executor, this, settings.maxQueuedPerLoop());
            list.add(d);
            byLoop.put(executor, d);
        }
        this.dispatchers = list.toArray(LoopDispatcher[]::new);
        this.conflate = settings.conflate().stream().map(selectorCache::selector).toArray(TopicSelector[]::new);
        List<Throttler.Rule> rules = new ArrayList<>();
        settings.throttle().forEach((sel, interval) -> rules.add(new Throttler.Rule(selectorCache.selector(sel), interval)));
        this.throttler = new Throttler(rules, selectorCache, dispatchers[0].loop, history, this::offerToLoops);
        long sweepMillis = sweepPeriodMillis(settings.heartbeat());
        for (LoopDispatcher d : dispatchers) {
            sweeps.add(d.loop.scheduleAtFixedRate(() -> sweep(d), sweepMillis, sweepMillis, TimeUnit.MILLISECONDS));
        }
    }

    /** Heartbeats are checked four times per interval, and token expiry at least every second. */
    private static long sweepPeriodMillis(Duration heartbeat) {
        long hb = heartbeat.isZero() ? 1000 : heartbeat.toMillis() / 4;
        return Math.max(10, Math.min(1000, hb));
    }

    public SelectorCache selectors() {
        return selectorCache;
    }

    /**
     * Takes the next update of the log. Must be called by one thread at a time, in log order
     * (the transport's job). Returns the local sequence number given to it.
     */
    public long accept(Update update) {
        var chunk = encoder.encode(update);
        String canonical = update.canonicalTopic();
        String conflateKey = settings.conflateAll() || selectorCache.anyMatches(conflate, canonical) ? canonical : null;
        long throttleNanos = throttler.isEmpty() ? 0 : throttler.intervalFor(canonical);
        synchronized (history) {
            Event e = new Event(history.nextSeq(), update, chunk, conflateKey);
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
        for (LoopDispatcher d : dispatchers) {
            if (d.subscriberCount > 0) {
                e.chunk.retain();
                d.offer(e);
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
        // Register before reading the head: from now on every accepted event is offered to this
        // loop, and the ones already accepted are at or before the head read below.
        d.register(s);
        synchronized (history) {
            if (lastEventId == null) {
                s.state = Subscriber.State.LIVE;
                s.liveFrom = history.head();
                return new Resume(false, null);
            }
            long after;
            String answer;
            long found = "earliest".equals(lastEventId) ? -1 : history.seqOf(lastEventId);
            if (found >= 0) {
                after = found;
                answer = lastEventId;
            } else {
                // earliest, or an id we no longer (or never) had: everything retained.
                after = history.oldest() - 1;
                answer = "earliest";
            }
            s.state = Subscriber.State.REPLAYING;
            s.cursor = after;
            return new Resume(true, answer);
        }
    }

    /** Sends the opening of the stream and starts the replay if one was asked for. On the loop. */
    public void start(Subscriber s) {
        long now = System.nanoTime();
        s.writeStatic(wire.openingChunk, wire.openingRaw, now);
        if (s.snapshot && s.state == Subscriber.State.LIVE) {
            writeSnapshot(s, now);
        }
        pump(s);
        if (s.dirty) {
            s.dirty = false;
            s.channel.flush();
        }
    }

    /**
     * The latest retained event of every topic the subscriber matches, oldest first, each once.
     * Only events up to its live boundary: newer ones reach it live.
     */
    private void writeSnapshot(Subscriber s, long now) {
        LoopDispatcher d = dispatcherOf(s);
        synchronized (history) {
            java.util.TreeSet<Long> seqs = new java.util.TreeSet<>();
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
                        if (selectorCache.matches(sel, entry.getKey())) {
                            seqs.add(entry.getValue());
                            break;
                        }
                    }
                }
            }
            for (long seq : seqs) {
                Event e = history.at(seq);
                if (seq <= s.liveFrom && e != null && s.mayRead(e, selectorCache)) {
                    s.write(e, now);
                    d.counters.replayed++;
                }
            }
        }
    }

    /**
     * Continues a replay while the channel is writable, a batch at a time, taking turns with the
     * other replaying subscribers of its loop (see {@link LoopDispatcher#requestPump}). When the
     * cursor reaches the head of the history (checked under the monitor, so no event can slip in
     * between) the subscriber turns live. On the loop.
     */
    public void pump(Subscriber s) {
        dispatcherOf(s).requestPump(s);
    }

    /**
     * One replay batch (at most {@code replayBatch} events, never past the channel's write
     * watermark), flushed; then conflated events if the subscriber is live. On the loop, from the
     * dispatcher's round-robin pump queue. Returns true when the subscriber could take more now.
     */
    boolean pumpOnce(Subscriber s, LoopDispatcher d) {
        long now = System.nanoTime();
        if (s.state == Subscriber.State.REPLAYING && s.channel.isWritable()) {
            synchronized (history) {
                long from = s.cursor + 1;
                if (from < history.oldest()) {
                    replayGaps += history.oldest() - from;
                    from = history.oldest();
                    s.cursor = from - 1;
                }
                long to = Math.min(history.head(), s.cursor + settings.replayBatch());
                // Writability is checked per write: the replay never goes past the watermark, and
                // the writability change resumes it.
                for (long seq = from; seq <= to && s.channel.isWritable(); seq++) {
                    Event e = history.at(seq);
                    s.cursor = seq;
                    if (e != null && s.wants(e, selectorCache)) {
                        s.write(e, now);
                        d.counters.replayed++;
                    }
                }
                if (s.cursor >= history.head()) {
                    s.liveFrom = s.cursor;
                    s.state = Subscriber.State.LIVE;
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

    /** On the loop, when the channel closed. */
    public void unregister(Subscriber s) {
        s.state = Subscriber.State.CLOSED;
        s.releaseHeld();
        dispatcherOf(s).unregister(s);
    }

    private LoopDispatcher dispatcherOf(Subscriber s) {
        LoopDispatcher d = byLoop.get(s.channel.eventLoop());
        if (d == null) {
            throw new IllegalStateException("channel is not served by this hub's event loops");
        }
        return d;
    }

    /** Heartbeats for idle streams, and closing streams whose token expired. On the loop. */
    private void sweep(LoopDispatcher d) {
        long now = System.nanoTime();
        long nowMillis = System.currentTimeMillis();
        long heartbeatNanos = settings.heartbeat().toNanos();
        ArrayList<Subscriber> subs = d.subscribers;
        for (int i = subs.size() - 1; i >= 0; i--) {
            Subscriber s = subs.get(i);
            if (s.expiresAtMillis <= nowMillis) {
                s.closeGently(now);
                continue;
            }
            if (heartbeatNanos > 0 && now - s.lastWriteNanos >= heartbeatNanos
                    && s.state != Subscriber.State.CLOSING) {
                s.writeStatic(wire.heartbeatChunk, wire.heartbeatRaw, now);
                s.dirty = false;
                s.channel.flush();
                d.counters.heartbeats++;
            }
        }
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

    /** Ends a stream cleanly (last chunk, then close). On the subscriber's loop. */
    public void end(Subscriber s) {
        if (s.chunked && s.channel.isActive()) {
            s.channel.write(wire.lastChunk.retainedDuplicate(), s.channel.voidPromise());
        }
        s.state = Subscriber.State.CLOSING;
        s.channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }

    // --- observation (metrics, health) ---

    public int subscribers() {
        int n = 0;
        for (LoopDispatcher d : dispatchers) {
            n += d.subscriberCount;
        }
        return n;
    }

    public long deliveries() {
        return sum(c -> c.deliveries);
    }

    public long slowDisconnects() {
        return sum(c -> c.slowDisconnects);
    }

    public long replayed() {
        return sum(c -> c.replayed);
    }

    public long heartbeats() {
        return sum(c -> c.heartbeats);
    }

    public long conflated() {
        return sum(c -> c.conflated);
    }

    /** Times a loop fell so far behind that its subscribers went back to reading history. */
    public long overflows() {
        return sum(c -> c.overflows);
    }

    /** Updates a throttle window replaced by a newer one before it was sent. */
    public long throttled() {
        synchronized (history) {
            return throttler.replaced;
        }
    }

    /** Adds up one loop-confined counter over all loops (a racy read: fine for observation). */
    private long sum(java.util.function.ToLongFunction<Counters> counter) {
        long n = 0;
        for (LoopDispatcher d : dispatchers) {
            n += counter.applyAsLong(d.counters);
        }
        return n;
    }

    public long queuedDispatches() {
        long n = 0;
        for (LoopDispatcher d : dispatchers) {
            n += d.queued();
        }
        return n;
    }

    public long published() {
        synchronized (history) {
            return published;
        }
    }

    public long replayGaps() {
        synchronized (history) {
            return replayGaps;
        }
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

    /** True when an event with this id is in history. */
    public boolean knows(String id) {
        synchronized (history) {
            return history.seqOf(id) >= 0;
        }
    }


    @Override
    public void close() {
        sweeps.forEach(f -> f.cancel(false));
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
