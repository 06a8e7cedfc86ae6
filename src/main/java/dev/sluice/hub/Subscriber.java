package dev.sluice.hub;

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
 * mutable fields need no synchronisation and the hot path ({@link #deliver}) takes no lock and
 * allocates nothing: the write is a recycled retained duplicate of the shared chunk, sent with the
 * void promise.
 *
 * <p>Life cycle: {@code REPLAYING} (reading history after its Last-Event-ID at its own pace,
 * paced by channel writability, so a replay bigger than the byte budget never trips it) →
 * {@code LIVE} (fed by its loop's dispatcher; {@link #lastSeq} drops what the replay already sent)
 * → {@code CLOSING} (over budget: a {@code retry:} hint and the end of the stream are queued,
 * nothing else) → {@code CLOSED}.
 */
public final class Subscriber {

    enum State { REPLAYING, LIVE, CLOSING, CLOSED }

    final Channel channel;
    final TopicSelector[] selectors;
    final TopicSelector[] authorized;
    final boolean chunked;
    final long budgetBytes;
    /** Wall-clock millis at which the subscriber's token expires, or Long.MAX_VALUE. */
    final long expiresAtMillis;
    final Object payload;
    final String subscriberId;

    // Loop-confined state.
    State state = State.REPLAYING;
    /** Highest sequence number already delivered or deliberately skipped. */
    long lastSeq;
    /** Replay position: last sequence number read from history. */
    long cursor;
    boolean dirty;
    long lastWriteNanos;
    /** Position in its dispatcher's list of subscribers; -1 when not registered. */
    int slot = -1;
    TopicIndex.Membership[] memberships;
    /** Set by the hub when the subscriber is registered. */
    Wire wire;

    public Subscriber(Channel channel, List<TopicSelector> selectors, List<TopicSelector> authorized,
                      boolean chunked, long budgetBytes, long expiresAtMillis, Object payload, String subscriberId) {
        this.channel = channel;
        this.selectors = selectors.toArray(TopicSelector[]::new);
        this.authorized = authorized.toArray(TopicSelector[]::new);
        this.chunked = chunked;
        this.budgetBytes = budgetBytes;
        this.expiresAtMillis = expiresAtMillis;
        this.payload = payload;
        this.subscriberId = subscriberId;
    }

    public Channel channel() {
        return channel;
    }

    public List<TopicSelector> selectors() {
        return List.of(selectors);
    }

    public Object payload() {
        return payload;
    }

    public String subscriberId() {
        return subscriberId;
    }

    boolean isLive() {
        return state == State.LIVE;
    }

    /** Does this subscriber want the event at all (topic match, and authorised if private)? */
    boolean wants(Event e, SelectorCache cache) {
        return cache.anyMatches(selectors, e.topics) && mayRead(e, cache);
    }

    /** Private events need one of the event's topics to match the token's subscribe claim. */
    boolean mayRead(Event e, SelectorCache cache) {
        return !e.isPrivate || cache.anyMatches(authorized, e.topics);
    }

    /**
     * Live delivery from the dispatcher, which has already matched the topic. Returns true when
     * something was written (the caller then flushes this channel once at the end of its batch).
     */
    boolean deliver(Event e, SelectorCache cache, long nowNanos, Hub.Counters counters) {
        if (state != State.LIVE || e.seq <= lastSeq) {
            return false; // not live yet, or already sent (replay, or matched by another selector)
        }
        lastSeq = e.seq;
        if (!mayRead(e, cache)) {
            return false;
        }
        if (pendingBytes() + e.size > budgetBytes) {
            counters.slowDisconnects++;
            closeGently(nowNanos);
            return true;
        }
        write(e, nowNanos);
        counters.deliveries++;
        return true;
    }

    /** Writes one event; the duplicate is recycled and released by the channel once written. */
    void write(Event e, long nowNanos) {
        ByteBuf msg = chunked
                ? e.chunk.retainedDuplicate()
                : e.chunk.retainedSlice(SseEncoder.payloadOffset(e.chunk), SseEncoder.payloadLength(e.chunk));
        channel.write(msg, channel.voidPromise());
        lastWriteNanos = nowNanos;
        dirty = true;
    }

    void writeStatic(ByteBuf chunkForm, ByteBuf rawForm, long nowNanos) {
        channel.write((chunked ? chunkForm : rawForm).duplicate(), channel.voidPromise());
        lastWriteNanos = nowNanos;
        dirty = true;
    }

    /** Bytes written to this channel and not yet on the socket. */
    long pendingBytes() {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /**
     * Over budget: queue a {@code retry:} hint and the end of the stream, then close once that is
     * written, so the client reconnects with the id of the last event it got and resumes from
     * history. If it does not read even that within the grace period, the connection is cut.
     */
    void closeGently(long nowNanos) {
        if (state == State.CLOSING || state == State.CLOSED) {
            return;
        }
        state = State.CLOSING;
        writeStatic(wire.reconnectHintChunk, wire.reconnectHintRaw, nowNanos);
        if (chunked) {
            channel.write(wire.lastChunk.duplicate(), channel.voidPromise());
        }
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        dirty = false;
        Channel ch = channel;
        ch.eventLoop().schedule(() -> ch.close(), wire.closeGraceMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public String toString() {
        return "Subscriber[" + channel.remoteAddress() + " " + java.util.Arrays.toString(selectors) + " " + state + "]";
    }
}
