package dev.sluice.hub;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The fixed pieces of every stream, encoded once per hub: the opening comment and {@code retry:}
 * hint, the heartbeat comment, the hint sent before the hub ends a stream (one per
 * {@link CloseCause}: a comment saying why, and a {@code retry:}), and the last chunk that ends a
 * chunked body. Each comes as a chunk and, for HTTP/1.0 subscribers, raw. They are never modified
 * after construction; writes send retained duplicates of them.
 *
 * <p>It also makes the one per-stream piece, the opening that carries the stream's resume
 * position ({@link #openingWithPosition}): a block with an {@code id:} field and no {@code data:}
 * sets the client's last event id without dispatching an event (WHATWG HTML, "dispatch the
 * event": an empty data buffer returns after the last event id is set), so a stream the hub ends
 * before its first event still resumes exactly where it stood.
 */
final class Wire {
    final ByteBuf openingChunk;
    final ByteBuf openingRaw;
    final ByteBuf heartbeatChunk;
    final ByteBuf heartbeatRaw;
    /** Per close cause (by ordinal): {chunk, raw}. */
    private final ByteBuf[][] hints;
    final ByteBuf lastChunk;
    final long retryMillis;
    final long closeGraceMillis;
    /** Event type for the position block, or null for an id-only block. */
    private final String positionEvent;

    /** Where the per-subscriber openings are written (pooled: a stream's opening leaves no garbage). */
    private final io.netty.buffer.ByteBufAllocator allocator;
    /** The ASCII text before the id in a live stream's opening, and after it (see {@link #openingWithPosition}). */
    private final byte[] openingBeforeId;
    private final byte[] openingAfterId;

    Wire(long retryMillis, long reconnectRetryMillis, long closeGraceMillis, String positionEvent,
         io.netty.buffer.ByteBufAllocator allocator) {
        this.allocator = allocator;
        this.openingBeforeId = ((positionEvent == null ? ":\nretry: " + retryMillis + "\nid: "
                : ":\nretry: " + retryMillis + "\n\nevent: " + positionEvent + "\nid: "))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.openingAfterId = (positionEvent == null ? "\n\n" : "\ndata:\n\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        this.retryMillis = retryMillis;
        this.positionEvent = positionEvent;
        // The opening comment makes proxies and clients see the stream at once.
        String opening = ":\nretry: " + retryMillis + "\n\n";
        this.openingChunk = SseEncoder.chunk(opening);
        this.openingRaw = SseEncoder.raw(opening);
        this.heartbeatChunk = SseEncoder.chunk(":\n");
        this.heartbeatRaw = SseEncoder.raw(":\n");
        CloseCause[] causes = CloseCause.values();
        this.hints = new ByteBuf[causes.length][];
        for (CloseCause c : causes) {
            String hint = ": " + reason(c) + "\nretry: " + reconnectRetryMillis + "\n\n";
            hints[c.ordinal()] = new ByteBuf[] {SseEncoder.chunk(hint), SseEncoder.raw(hint)};
        }
        this.lastChunk = Unpooled.directBuffer(5).writeBytes(new byte[] {'0', '\r', '\n', '\r', '\n'});
        this.closeGraceMillis = closeGraceMillis;
    }

    private static String reason(CloseCause c) {
        return switch (c) {
            case SLOW -> "too slow, resume from history";
            case TOKEN_EXPIRED -> "token expired, reconnect with a new token";
            case SHUTDOWN -> "hub stopping, resume elsewhere or later";
            case DRAIN -> DRAIN_REASON;
            case LIMIT -> "over a limit, resume later";
            case MAX_AGE -> "connection age limit reached, reconnect to resume";
            case CLIENT, ERROR -> "closing";
        };
    }

    static final String DRAIN_REASON = "hub draining, resume elsewhere";

    /**
     * The hint that ends one drained stream, made for that subscriber: why, its resume position
     * (when known; a block the client keeps as its last event id) and its own {@code retry:}, so
     * the clients of one wave do not all come back at the same instant.
     */
    ByteBuf drainHint(String position, long retry, int wave, int waves, boolean chunked) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(": ").append(DRAIN_REASON).append(" (wave ").append(wave).append(" of ").append(waves)
                .append(")\nretry: ").append(retry).append("\n\n");
        if (position != null) {
            sb.append(positionBlock(position));
        }
        String sse = sb.toString();
        return chunked ? SseEncoder.chunk(sse) : SseEncoder.raw(sse);
    }

    /** {chunk form, raw form} of the hint sent before the hub ends a stream for this cause. */
    ByteBuf[] hintFor(CloseCause cause) {
        return hints[cause.ordinal()];
    }

    /** The stream's opening, carrying its resume position: made for one subscriber. */
    ByteBuf openingWithPosition(String id, boolean chunked) {
        // Written straight into a pooled buffer (the id as UTF-8 in place): every live stream gets
        // one, so no String, byte[] or unpooled direct buffer is made for it. Same bytes as
        // ":\nretry: R\nid: ID\n\n" (or with the position event's block) through SseEncoder.
        int payload = openingBeforeId.length + io.netty.buffer.ByteBufUtil.utf8Bytes(id) + openingAfterId.length;
        ByteBuf buf = allocator.directBuffer(payload + (chunked ? 12 : 0));
        if (chunked) {
            SseEncoder.writeChunkSize(buf, payload);
        }
        buf.writeBytes(openingBeforeId);
        io.netty.buffer.ByteBufUtil.writeUtf8(buf, id);
        buf.writeBytes(openingAfterId);
        if (chunked) {
            buf.writeByte('\r').writeByte('\n');
        }
        return buf;
    }

    /** A block that only moves the client's last event id (after a snapshot). */
    ByteBuf position(String id, boolean chunked) {
        String sse = positionBlock(id);
        return chunked ? SseEncoder.chunk(sse) : SseEncoder.raw(sse);
    }

    /**
     * An id-only block, or, with a position event type, an event of that type with empty data:
     * some clients (npm {@code eventsource}) keep the id only of blocks that dispatch an event, and
     * an event of its own type reaches no {@code onmessage} handler.
     */
    private String positionBlock(String id) {
        return positionEvent == null ? "id: " + id + "\n\n" : "event: " + positionEvent + "\nid: " + id + "\ndata:\n\n";
    }

    /** Once, when the hub stops: every write took its own retained duplicate. */
    void release() {
        openingChunk.release();
        openingRaw.release();
        heartbeatChunk.release();
        heartbeatRaw.release();
        for (ByteBuf[] h : hints) {
            h[0].release();
            h[1].release();
        }
        lastChunk.release();
    }
}
