package dev.sluice.hub;

import io.netty.buffer.ByteBuf;

/**
 * The fixed pieces of every stream, encoded once per hub: the opening comment and {@code retry:}
 * hint, the heartbeat comment, the reconnect hint sent before a slow client is cut loose, and the
 * last chunk that ends a chunked body. Each comes as a chunk and, for HTTP/1.0 subscribers, raw.
 * They are never modified after construction; writes send retained duplicates of them.
 */
final class Wire {
    final ByteBuf openingChunk;
    final ByteBuf openingRaw;
    final ByteBuf heartbeatChunk;
    final ByteBuf heartbeatRaw;
    final ByteBuf reconnectHintChunk;
    final ByteBuf reconnectHintRaw;
    final ByteBuf lastChunk;
    final long closeGraceMillis;

    Wire(long retryMillis, long reconnectRetryMillis, long closeGraceMillis) {
        // The opening comment makes proxies and clients see the stream at once.
        String opening = ":\nretry: " + retryMillis + "\n\n";
        this.openingChunk = SseEncoder.chunk(opening);
        this.openingRaw = SseEncoder.raw(opening);
        this.heartbeatChunk = SseEncoder.chunk(":\n");
        this.heartbeatRaw = SseEncoder.raw(":\n");
        String hint = ": too slow, resume from history\nretry: " + reconnectRetryMillis + "\n\n";
        this.reconnectHintChunk = SseEncoder.chunk(hint);
        this.reconnectHintRaw = SseEncoder.raw(hint);
        this.lastChunk = io.netty.buffer.Unpooled.directBuffer(5).writeBytes(new byte[] {'0', '\r', '\n', '\r', '\n'});
        this.closeGraceMillis = closeGraceMillis;
    }

    /** Once, when the hub stops: every write took its own retained duplicate. */
    void release() {
        for (ByteBuf b : new ByteBuf[] {openingChunk, openingRaw, heartbeatChunk, heartbeatRaw, reconnectHintChunk,
                reconnectHintRaw, lastChunk}) {
            b.release();
        }
    }
}
