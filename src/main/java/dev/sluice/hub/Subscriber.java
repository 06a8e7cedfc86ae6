package dev.sluice.hub;

import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One SSE connection: what it asked for, what it may see, and where it is in the log.
 *
 * <p>Confined to its channel's event loop: every method except the constructor runs there, so the
 * mutable fields need no synchronisation and live delivery ({@link #deliver}) takes no lock. It
 * allocates nothing either: the write is a recycled retained duplicate of the shared chunk, sent
 * with the void promise. The one exception is a subscriber that is behind on a conflated topic:
 * the first event it holds for a key makes that key's slot (see {@link PendingByKey}); replacing a
 * held event allocates nothing.
 *
 * <p>Life cycle: {@code REPLAYING} (reading history after its Last-Event-ID at its own pace,
 * paced by channel writability, so a replay bigger than the byte budget never trips it) →
 * {@code LIVE} (fed by its loop's dispatcher; events at or before {@link #liveFrom} came from the
 * replay, or before the subscription, and are skipped) → {@code CLOSING} (the hub ends it: a
 * comment saying why, a {@code retry:} hint and the end of the stream are queued, nothing else) →
 * {@code CLOSED}.
 *
 * <p>The byte budget bounds what <em>waits</em>, not the size of one event: a subscriber is cut
 * loose when the bytes queued for it and not yet taken by its socket would exceed the budget plus
 * the largest event among them. One event of any accepted size is therefore always written to a
 * socket that keeps draining, and a reader that stops reading is cut once a budget's worth piles
 * up behind it. The queued bytes are shared, reference-counted chunks, so a large pending event
 * costs the gateway its bytes once, not once per subscriber.
 *
 * <p>Slow clients and conflatable events: when the socket is behind (not writable) an event with a
 * {@linkplain Event#conflateKey conflation key} is not queued on the socket but kept as the latest
 * pending event for its key, replacing an older one. When the socket drains, the pending events
 * are written. The pending map is bounded by the number of keys, never by the publish rate; a
 * subscriber that would need more than {@link #MAX_CONFLATED_KEYS} keys is cut loose instead.
 */
public final class Subscriber {

    enum State { REPLAYING, LIVE, CLOSING, CLOSED }

    private static final TopicSelector[] NONE = new TopicSelector[0];

    /** Most distinct conflation keys one subscriber may hold pending. */
    static final int MAX_CONFLATED_KEYS = 10_000;

    final Channel channel;
    final TopicSelector[] selectors;
    final TopicSelector[] authorized;
    final boolean chunked;
    final long budgetBytes;
    /** Wall-clock millis from which the subscriber's token is refused, or Long.MAX_VALUE. */
    final long expiresAtMillis;
    /** Send the latest retained event of every matching topic first (live subscriptions only). */
    final boolean snapshot;

    /** System.nanoTime() at which the hub ends the stream for its age; meaningful when {@link #ageLimited}. */
    long ageDeadlineNanos;
    boolean ageLimited;

    // Loop-confined state.
    State state = State.REPLAYING;
    /** Why the hub ended the stream; null while open or when the client left. */
    CloseCause closeCause;
    /** Live events with a sequence number at or below this are not sent (replayed or older). */
    long liveFrom;
    /** Sequence number of the event last visited: the same event may match several selectors. */
    long lastVisited = -1;
    /** Highest sequence number visited live; everything in order up to it has been handled. */
    long highestVisited;
    /** Replay position: last sequence number read from history. */
    long cursor;
    /**
     * The id the stream opens with (its resume position), set at registration for a live start and
     * cleared once written; null when the client's own Last-Event-ID already is the position.
     */
    String openingId;
    boolean dirty;
    long lastWriteNanos;
    /** Bytes queued to the channel over the stream's life (the access log's figure). */
    long bytesWritten;
    /** When a resume's replay started (System.nanoTime); 0 once it is live or when it never replayed. */
    long replayStartedNanos;
    /** Largest event written since the outbound buffer was last empty: the budget's allowance. */
    private int largestQueued;
    /** Position in its dispatcher's list of subscribers; -1 when not registered. */
    int slot = -1;
    /** In its dispatcher's pump queue. */
    boolean pumpQueued;
    TopicIndex.Membership[] memberships;
    /** Set by the hub when the subscriber is registered. */
    Wire wire;
    /** Latest pending event per conflation key while the socket is behind; null when none. */
    private PendingByKey conflated;
    /** Counts the bytes queued for a channel that cannot tell them itself; null to ask the channel. */
    private java.util.function.LongSupplier queuedBytes;

    public Subscriber(Channel channel, List<TopicSelector> selectors, List<TopicSelector> authorized,
                      boolean chunked, long budgetBytes, long expiresAtMillis, boolean snapshot) {
        this.channel = channel;
        this.selectors = selectors.toArray(TopicSelector[]::new);
        // Anonymous and public-only subscribers (most of them) share one empty array.
        this.authorized = authorized.isEmpty() ? NONE : authorized.toArray(TopicSelector[]::new);
        this.chunked = chunked;
        this.budgetBytes = budgetBytes;
        this.expiresAtMillis = expiresAtMillis;
        this.snapshot = snapshot;
    }

    /**
     * With a partitioned log: the partitions this subscriber needs (see
     * {@link dev.sluice.topic.Partitions#needed}); 0 with a single log.
     */
    long partitions;
    /**
     * With a partitioned log, the position the subscriber resumed from: entries at or before it in
     * their partition were sent by the node that gave the position. Null otherwise.
     */
    dev.sluice.topic.Partitions.Position resumedFrom;

    /** Sets the partitions this subscriber needs, before it is registered (partitioned log only). */
    public void partitions(long mask) {
        this.partitions = mask;
    }

    /**
     * With a partitioned log, whether this copy of an update is the one this subscriber takes, and
     * is new to it: one copy per update (the lowest partition both have), and nothing the node it
     * resumed from had sent. Two comparisons and a bit operation: nothing allocated, no lock.
     */
    boolean takes(Event e) {
        if (e.partition < 0 || partitions == 0) {
            return true;
        }
        if (!dev.sluice.topic.Partitions.takes(partitions, e.partitionMask, e.partition)) {
            return false;
        }
        dev.sluice.topic.Partitions.Position from = resumedFrom;
        return from == null || !from.covers(e.partition, e.entryMillis, e.entrySeq);
    }

    /** Does this subscriber want the event at all (topic match, and authorised if private)? */
    boolean wants(Event e, SelectorCache cache) {
        return takes(e) && cache.anyMatches(selectors, e.topics) && mayRead(e, cache);
    }

    /** Private events need one of the event's topics to match the token's subscribe claim. */
    boolean mayRead(Event e, SelectorCache cache) {
        return !e.isPrivate || cache.anyMatches(authorized, e.topics);
    }

    /**
     * Live delivery from the dispatcher, which has already matched the topic. Returns true when
     * something was written (the caller then flushes this channel once at the end of its batch).
     *
     * <p>{@code catchingUp}: the loop is reading this event from history after its inbox
     * overflowed. A subscriber whose socket cannot take it within its budget then goes on reading
     * history at its socket's pace from this event on (the caller queues its replay) instead of
     * being cut loose: the loop, not the client, fell behind.
     */
    boolean deliver(Event e, SelectorCache cache, long nowNanos, LoopCounters counters, boolean catchingUp) {
        if (state != State.LIVE || e.seq <= liveFrom || e.seq == lastVisited) {
            return false; // not live yet, replayed already, or matched by another selector
        }
        lastVisited = e.seq;
        if (e.seq > highestVisited) {
            highestVisited = e.seq;
        }
        if (!mayRead(e, cache) || !takes(e)) {
            return false;
        }
        if (e.conflateKey != null && (conflated != null || !channel.isWritable())) {
            hold(e, nowNanos, counters);
            return false;
        }
        long queued = pendingBytes();
        int allowance = queued == 0 ? e.size : Math.max(largestQueued, e.size);
        if (queued + e.size > budgetBytes + allowance) {
            if (catchingUp) {
                state = State.REPLAYING;
                cursor = e.seq - 1;
                return false;
            }
            close(CloseCause.SLOW, nowNanos);
            return true;
        }
        write(e, queued, nowNanos);
        counters.deliveries++;
        return true;
    }

    /**
     * Back to reading history from where live delivery got to (its loop dropped queued events
     * because it fell too far behind). On the loop; the hub then pumps the replay.
     */
    void catchUpFromHistory() {
        if (state == State.LIVE) {
            state = State.REPLAYING;
            cursor = Math.max(liveFrom, highestVisited);
        }
    }

    /** Keeps the event as the latest pending one for its key (the socket is behind). */
    private void hold(Event e, long nowNanos, LoopCounters counters) {
        if (conflated == null) {
            conflated = new PendingByKey();
        } else if (conflated.size() >= MAX_CONFLATED_KEYS && conflated.isNewKey(e.conflateKey)) {
            close(CloseCause.SLOW, nowNanos);
            return;
        }
        e.chunk.retain();
        Event older = conflated.hold(e);
        if (older != null) {
            older.chunk.release();
            counters.conflated++;
        }
    }

    /** Writes held conflated events while the socket takes them. Returns true if it wrote. */
    boolean drainConflated(long nowNanos, LoopCounters counters) {
        if (conflated == null) {
            return false;
        }
        boolean wrote = false;
        while (!conflated.isEmpty() && channel.isWritable() && state == State.LIVE) {
            Event e = conflated.poll();
            write(e, pendingBytes(), nowNanos);
            e.chunk.release();
            counters.deliveries++;
            wrote = true;
        }
        if (conflated.isEmpty()) {
            conflated = null;
        }
        return wrote;
    }

    /** Releases held events; on close. */
    void releaseHeld() {
        if (conflated != null) {
            conflated.releaseAll();
            conflated = null;
        }
    }

    /** Writes one event; the duplicate is recycled and released by the channel once written. */
    void write(Event e, long nowNanos) {
        write(e, pendingBytes(), nowNanos);
    }

    private void write(Event e, long queued, long nowNanos) {
        if (queued == 0 || e.size > largestQueued) {
            largestQueued = e.size;
        }
        ByteBuf msg = chunked
                ? e.chunk.retainedDuplicate()
                : e.chunk.retainedSlice(SseEncoder.payloadOffset(e.chunk), SseEncoder.payloadLength(e.chunk));
        bytesWritten += msg.readableBytes();
        channel.write(msg, channel.voidPromise());
        lastWriteNanos = nowNanos;
        dirty = true;
    }

    void writeStatic(ByteBuf chunkForm, ByteBuf rawForm, long nowNanos) {
        writeOwned((chunked ? chunkForm : rawForm).retainedDuplicate(), nowNanos);
    }

    /** Writes a buffer made for this subscriber alone (the channel releases it). */
    void writeOwned(ByteBuf buf, long nowNanos) {
        bytesWritten += buf.readableBytes();
        channel.write(buf, channel.voidPromise());
        lastWriteNanos = nowNanos;
        dirty = true;
    }

    /**
     * For a channel whose own figures do not show the bytes queued on it (an HTTP/3 stream: its
     * writability reports flow-control credit), the writer in its pipeline that counts them. Set
     * before the subscriber is registered; read on its loop at every delivery (no allocation).
     */
    public void countQueuedBytesWith(java.util.function.LongSupplier counter) {
        this.queuedBytes = counter;
    }

    /** Bytes written to this channel and not yet on the socket. */
    long pendingBytes() {
        if (queuedBytes != null) {
            return queuedBytes.getAsLong();
        }
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out != null ? out.totalPendingWriteBytes() : pendingOnSharedConnection(channel);
    }

    /**
     * A channel multiplexed over a connection (an HTTP/2 stream) has no outbound buffer of its own:
     * it counts the bytes written to it whose write to the connection has not completed (held back
     * by the stream's flow-control window, the connection's, or the socket) and shows that count
     * only through its water marks. Exact while the count is above the low water mark or the
     * channel is writable; below the low mark on a channel made unwritable by flow control it is
     * reported as 0, which only delays a cut until the count passes the low mark.
     */
    static long pendingOnSharedConnection(Channel ch) {
        if (ch.isWritable()) {
            long high = ch.config().getWriteBufferHighWaterMark() + 1L;
            long before = ch.bytesBeforeUnwritable();
            return before > 0 ? high - before : high;
        }
        long before = ch.bytesBeforeWritable();
        return before > 0 ? before + ch.config().getWriteBufferLowWaterMark() - 1L : 0;
    }

    /**
     * The hub ends the stream: queue a comment saying why, a {@code retry:} hint and the end of the
     * stream, then close once that is written, so the client reconnects with the id of the last
     * event it got (or the position the stream opened with) and resumes from history. If it does
     * not read even that within the grace period, the connection is cut. Idempotent.
     */
    void close(CloseCause cause, long nowNanos) {
        close(cause, null, nowNanos);
    }

    /** True while it holds conflated events that its socket has not taken yet. */
    boolean holdsConflated() {
        return conflated != null && !conflated.isEmpty();
    }

    /**
     * As {@link #close(CloseCause, long)}, with a hint made for this subscriber (its own retry and
     * position; the channel releases it), or the cause's shared hint when null.
     */
    void close(CloseCause cause, ByteBuf ownHint, long nowNanos) {
        if (state == State.CLOSING || state == State.CLOSED) {
            if (ownHint != null) {
                ownHint.release();
            }
            return;
        }
        state = State.CLOSING;
        closeCause = cause;
        releaseHeld();
        if (ownHint != null) {
            writeOwned(ownHint, nowNanos);
        } else {
            ByteBuf[] hint = wire.hintFor(cause);
            writeStatic(hint[0], hint[1], nowNanos);
        }
        if (chunked) {
            channel.write(wire.lastChunk.retainedDuplicate(), channel.voidPromise());
        }
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        dirty = false;
        Channel ch = channel;
        ch.eventLoop().schedule(() -> ch.close(), wire.closeGraceMillis, TimeUnit.MILLISECONDS);
    }

    /** Why the hub ended the stream, or {@link CloseCause#CLIENT} when it did not; read on its loop. */
    public CloseCause closeCause() {
        return closeCause == null ? CloseCause.CLIENT : closeCause;
    }

    /** Bytes queued to the connection so far, head excluded; read on its loop. */
    public long bytesWritten() {
        return bytesWritten;
    }

    @Override
    public String toString() {
        return "Subscriber[" + channel.remoteAddress() + " " + java.util.Arrays.toString(selectors) + " " + state + "]";
    }
}
