package dev.sluice.hub;

import dev.sluice.topic.Update;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Turns an {@link Update} into the bytes of one SSE event, once, for every subscriber.
 *
 * <p>The result is already framed as one HTTP/1.1 chunk ({@code <hex length>CRLF <event> CRLF}):
 * after the response head a subscriber connection is a plain byte pipe, so a write is a retained
 * duplicate of this buffer and nothing else. HTTP/1.0 subscribers (no chunked encoding) get the
 * {@linkplain #payloadOffset(ByteBuf) payload slice} instead.
 *
 * <p>Field rules (WHATWG): {@code data} is split on CRLF, LF and CR into one {@code data:} line
 * each, so every line arrives intact and line breaks become LF; an empty payload still yields one
 * empty {@code data:} line, otherwise browsers never fire the event. Ids and types are written as
 * given: the publish endpoint has refused CR, LF and NUL in them already.
 *
 * <p>Buffers come from {@link io.netty.buffer.PooledByteBufAllocator}: its
 * {@code retainedDuplicate()} is recycled, so fan-out allocates nothing per subscriber. The
 * adaptive allocator (Netty 4.2's default) would allocate a wrapper per duplicate.
 */
public final class SseEncoder {

    /** Longest chunk-size prefix we ever write: 8 hex digits + CRLF. */
    private static final int CHUNK_HEAD_MAX = 10;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final ByteBufAllocator allocator;

    public SseEncoder(ByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * Encodes the update as one chunk. The caller owns the returned buffer (reference count 1).
     * The chunk-size prefix is right-aligned in a fixed reserve so the event is written once,
     * without measuring UTF-8 lengths first; the reader index skips the unused reserve.
     */
    public ByteBuf encode(Update update) {
        String data = update.data();
        int estimate = CHUNK_HEAD_MAX + 64 + update.id().length() * 3
                + (update.type() == null ? 0 : update.type().length() * 3) + data.length() * 3 / 2 + 16;
        ByteBuf buf = allocator.directBuffer(estimate);
        try {
            buf.writerIndex(CHUNK_HEAD_MAX);
            writeEvent(buf, update);
            int payloadLength = buf.writerIndex() - CHUNK_HEAD_MAX;
            buf.writeBytes(CRLF);
            int start = writeChunkHead(buf, payloadLength);
            buf.readerIndex(start);
            return buf;
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    /** Index of the first payload byte (after the chunk head) of a buffer made by {@link #encode}. */
    public static int payloadOffset(ByteBuf chunk) {
        return CHUNK_HEAD_MAX;
    }

    /** Length of the SSE payload of a buffer made by {@link #encode}, without chunk framing. */
    public static int payloadLength(ByteBuf chunk) {
        return chunk.writerIndex() - CHUNK_HEAD_MAX - CRLF.length;
    }

    private static void writeEvent(ByteBuf buf, Update update) {
        writeField(buf, "id: ", update.id());
        if (update.type() != null) {
            writeField(buf, "event: ", update.type());
        }
        if (update.retry() >= 0) {
            buf.writeCharSequence("retry: ", StandardCharsets.US_ASCII);
            buf.writeCharSequence(Long.toString(update.retry()), StandardCharsets.US_ASCII);
            buf.writeByte('\n');
        }
        writeData(buf, update.data());
        buf.writeByte('\n');
    }

    private static void writeField(ByteBuf buf, String name, String value) {
        buf.writeCharSequence(name, StandardCharsets.US_ASCII);
        ByteBufUtil.reserveAndWriteUtf8(buf, value, value.length() * 3);
        buf.writeByte('\n');
    }

    /** One {@code data:} line per line of the payload; CRLF, LF and CR all end a line. */
    static void writeData(ByteBuf buf, String data) {
        int len = data.length();
        int lineStart = 0;
        for (int i = 0; i < len; i++) {
            char c = data.charAt(i);
            if (c == '\n' || c == '\r') {
                writeDataLine(buf, data, lineStart, i);
                if (c == '\r' && i + 1 < len && data.charAt(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        writeDataLine(buf, data, lineStart, len);
    }

    private static void writeDataLine(ByteBuf buf, String data, int from, int to) {
        if (from == to) {
            buf.writeCharSequence("data:\n", StandardCharsets.US_ASCII);
            return;
        }
        buf.writeCharSequence("data: ", StandardCharsets.US_ASCII);
        ByteBufUtil.reserveAndWriteUtf8(buf, data, from, to, (to - from) * 3);
        buf.writeByte('\n');
    }

    /** Writes {@code <hex>CRLF} right-aligned before the payload; returns where it starts. */
    private static int writeChunkHead(ByteBuf buf, int length) {
        int digits = Math.max(1, (32 - Integer.numberOfLeadingZeros(length) + 3) / 4);
        int start = CHUNK_HEAD_MAX - 2 - digits;
        int at = start;
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            buf.setByte(at++, HEX[(length >>> shift) & 0xf]);
        }
        buf.setByte(at++, '\r');
        buf.setByte(at, '\n');
        return start;
    }

    /**
     * A chunk holding the given raw SSE text (comments, retry hints), built once and shared: write
     * {@code retainedDuplicate()}s of it; its owner releases it once.
     */
    /** Writes the chunk-size line of a chunk of {@code length} bytes: hex digits, CRLF (at most 10 bytes). */
    static void writeChunkSize(ByteBuf buf, int length) {
        int shift = 28;
        while (shift > 0 && (length >>> shift) == 0) {
            shift -= 4;
        }
        for (; shift >= 0; shift -= 4) {
            buf.writeByte(Character.forDigit((length >>> shift) & 0xF, 16));
        }
        buf.writeByte('\r').writeByte('\n');
    }

    public static ByteBuf chunk(String sse) {
        byte[] payload = sse.getBytes(StandardCharsets.UTF_8);
        String head = Integer.toHexString(payload.length) + "\r\n";
        ByteBuf buf = Unpooled.directBuffer(head.length() + payload.length + 2);
        buf.writeCharSequence(head, StandardCharsets.US_ASCII);
        buf.writeBytes(payload);
        buf.writeBytes(CRLF);
        return buf;
    }

    /** The same raw SSE text without chunk framing, for HTTP/1.0 subscribers; shared as above. */
    public static ByteBuf raw(String sse) {
        byte[] payload = sse.getBytes(StandardCharsets.UTF_8);
        return Unpooled.directBuffer(payload.length).writeBytes(payload);
    }
}
