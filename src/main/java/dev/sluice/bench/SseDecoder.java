package dev.sluice.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The client side of one SSE response, decoded straight from the socket's buffers: the response
 * head, HTTP/1.1 chunked transfer coding, then SSE lines and events.
 *
 * <p>Cost model: bytes are scanned in place ({@link ByteBuf#indexOf} for line ends, a small state
 * machine for chunk sizes); nothing is built per byte and nothing is allocated per event. Only a
 * line cut by a read or chunk boundary is copied, into a reusable buffer. The head is turned into
 * a String once per connection. Of an event, only what the load generator needs is extracted:
 * the first {@code data:} line is read as {@code <topic> <seq> <sentNanos> [padding]} (ASCII
 * decimal numbers), the {@code id:} value is kept as bytes (a String is made only for a resume),
 * and {@code retry:} is parsed. Lines end with LF or CRLF, which is what the gateway writes; a lone
 * CR is not treated as a line end here.
 *
 * <p>Not thread-safe: one instance per connection, used on that connection's event loop.
 */
final class SseDecoder {

    /** What the decoder found. All callbacks run inside {@link #decode}. */
    interface Listener {
        /** The response head was read. A status other than 200 ends decoding. */
        void onHead(int status, String head);

        /** A comment line ({@code :...}); the first one opens every gateway stream. */
        void onComment();

        /**
         * A complete event whose first data line had the bench format; {@code topic} is -1 when it
         * had not (the event is still counted by the caller if it wants).
         */
        void onEvent(int topic, long seq, long sentNanos);

        /** A {@code retry:} field. */
        void onRetry(long millis);

        /** The last chunk arrived: the server ended the stream. */
        void onEnd();
    }

    private enum Phase { HEAD, CHUNK_SIZE, CHUNK_EXT, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF, RAW, DONE }

    private static final int MAX_HEAD = 16 * 1024;
    private static final int MAX_LINE = 1 << 20;

    private final Listener listener;
    private Phase phase = Phase.HEAD;
    private ByteBuf head;
    private ByteBuf partialLine;
    private long chunkRemaining;
    private long chunkSize;

    // The event being read.
    private boolean hasData;
    private int topic;
    private long seq;
    private long sentNanos;
    private byte[] pendingId = new byte[64];
    private int pendingIdLength = -1;
    private byte[] lastId = new byte[64];
    private int lastIdLength = -1;

    SseDecoder(Listener listener) {
        this.listener = listener;
    }

    /** Decodes every readable byte of {@code in}; does not release it. */
    void decode(ByteBuf in) {
        while (in.isReadable() && phase != Phase.DONE) {
            switch (phase) {
                case HEAD -> readHead(in);
                case CHUNK_SIZE, CHUNK_EXT, CHUNK_SIZE_LF -> readChunkSize(in);
                case CHUNK_DATA -> {
                    int n = (int) Math.min(chunkRemaining, in.readableBytes());
                    sse(in, in.readerIndex(), n);
                    in.skipBytes(n);
                    chunkRemaining -= n;
                    if (chunkRemaining == 0) {
                        phase = Phase.CHUNK_DATA_CR;
                    }
                }
                case CHUNK_DATA_CR -> {
                    expect(in.readByte(), '\r');
                    phase = Phase.CHUNK_DATA_LF;
                }
                case CHUNK_DATA_LF -> {
                    expect(in.readByte(), '\n');
                    if (chunkSize == 0) {
                        phase = Phase.DONE;
                        listener.onEnd();
                    } else {
                        chunkSize = 0;
                        phase = Phase.CHUNK_SIZE;
                    }
                }
                case RAW -> {
                    sse(in, in.readerIndex(), in.readableBytes());
                    in.skipBytes(in.readableBytes());
                }
                case DONE -> { }
            }
        }
        if (phase == Phase.DONE) {
            in.skipBytes(in.readableBytes());
        }
    }

    /** The id of the last complete event, or null; makes a String (used for resumes only). */
    String lastEventId() {
        return lastIdLength < 0 ? null : new String(lastId, 0, lastIdLength, StandardCharsets.UTF_8);
    }

    boolean ended() {
        return phase == Phase.DONE;
    }

    /** Releases the reusable buffers; the decoder must not be used afterwards. */
    void release() {
        if (head != null) {
            head.release();
            head = null;
        }
        if (partialLine != null) {
            partialLine.release();
            partialLine = null;
        }
    }

    private void readHead(ByteBuf in) {
        if (head == null) {
            head = Unpooled.buffer(512);
        }
        head.writeBytes(in);
        int end = indexOf(head, "\r\n\r\n");
        if (end < 0) {
            if (head.readableBytes() > MAX_HEAD) {
                throw new IllegalStateException("response head larger than " + MAX_HEAD + " bytes");
            }
            return;
        }
        int headLength = end + 4;
        // Give back what followed the head: it is body.
        in.readerIndex(in.readerIndex() - (head.writerIndex() - headLength));
        String text = head.toString(0, headLength, StandardCharsets.ISO_8859_1);
        head.release();
        head = null;
        int status = parseStatus(text);
        listener.onHead(status, text);
        if (status != 200) {
            phase = Phase.DONE;
            return;
        }
        phase = text.toLowerCase(Locale.ROOT).contains("\ntransfer-encoding: chunked") ? Phase.CHUNK_SIZE : Phase.RAW;
    }

    private static int parseStatus(String head) {
        // "HTTP/1.1 200 OK"
        int sp = head.indexOf(' ');
        if (sp < 0 || head.length() < sp + 4) {
            return -1;
        }
        try {
            return Integer.parseInt(head.substring(sp + 1, sp + 4));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void readChunkSize(ByteBuf in) {
        while (in.isReadable()) {
            byte b = in.readByte();
            switch (phase) {
                case CHUNK_SIZE -> {
                    int digit = Character.digit(b, 16);
                    if (digit >= 0) {
                        chunkSize = chunkSize * 16 + digit;
                        if (chunkSize > Integer.MAX_VALUE) {
                            throw new IllegalStateException("chunk too large");
                        }
                    } else if (b == ';' || b == ' ') {
                        phase = Phase.CHUNK_EXT;
                    } else if (b == '\r') {
                        phase = Phase.CHUNK_SIZE_LF;
                    } else {
                        throw new IllegalStateException("bad chunk size byte " + (b & 0xff));
                    }
                }
                case CHUNK_EXT -> {
                    if (b == '\r') {
                        phase = Phase.CHUNK_SIZE_LF;
                    }
                }
                case CHUNK_SIZE_LF -> {
                    expect(b, '\n');
                    chunkRemaining = chunkSize;
                    if (chunkSize == 0) {
                        // Last chunk: no trailers from the gateway, just the final CRLF.
                        phase = Phase.CHUNK_DATA_CR;
                    } else {
                        phase = Phase.CHUNK_DATA;
                    }
                    return;
                }
                default -> throw new IllegalStateException(phase.toString());
            }
        }
    }

    private static void expect(byte got, char wanted) {
        if (got != wanted) {
            throw new IllegalStateException("expected " + (int) wanted + " in chunk framing, got " + (got & 0xff));
        }
    }

    /** SSE bytes [from, from+length) of buf: split into lines, in place where possible. */
    private void sse(ByteBuf buf, int from, int length) {
        int end = from + length;
        int i = from;
        while (i < end) {
            int lf = buf.indexOf(i, end, (byte) '\n');
            if (lf < 0) {
                if (partialLine == null) {
                    partialLine = Unpooled.buffer(256);
                }
                if (partialLine.readableBytes() + (end - i) > MAX_LINE) {
                    throw new IllegalStateException("SSE line longer than " + MAX_LINE + " bytes");
                }
                partialLine.writeBytes(buf, i, end - i);
                return;
            }
            if (partialLine != null && partialLine.isReadable()) {
                partialLine.writeBytes(buf, i, lf - i);
                line(partialLine, partialLine.readerIndex(), partialLine.readableBytes());
                partialLine.clear();
            } else {
                line(buf, i, lf - i);
            }
            i = lf + 1;
        }
    }

    private void line(ByteBuf buf, int from, int length) {
        if (length > 0 && buf.getByte(from + length - 1) == '\r') {
            length--;
        }
        if (length == 0) {
            dispatch();
            return;
        }
        byte first = buf.getByte(from);
        if (first == ':') {
            listener.onComment();
            return;
        }
        int colon = buf.indexOf(from, from + length, (byte) ':');
        int nameEnd = colon < 0 ? from + length : colon;
        int value = colon < 0 ? from + length : colon + 1;
        if (value < from + length && buf.getByte(value) == ' ') {
            value++;
        }
        int valueLength = from + length - value;
        int nameLength = nameEnd - from;
        if (nameLength == 4 && first == 'd' && buf.getByte(from + 1) == 'a') {
            if (!hasData) {
                hasData = true;
                parseData(buf, value, valueLength);
            }
        } else if (nameLength == 2 && first == 'i' && buf.getByte(from + 1) == 'd') {
            if (pendingId.length < valueLength) {
                pendingId = new byte[Math.max(valueLength, pendingId.length * 2)];
            }
            buf.getBytes(value, pendingId, 0, valueLength);
            pendingIdLength = valueLength;
        } else if (nameLength == 5 && first == 'r' && buf.getByte(from + 1) == 'e') {
            long ms = parseLong(buf, value, value + valueLength);
            if (ms >= 0) {
                listener.onRetry(ms);
            }
        }
    }

    /**
     * {@code <topic> <seq> <sentNanos> ...}; all three -1 when the line is not in that shape (an
     * event never carries the numbers of the one before it).
     */
    private void parseData(ByteBuf buf, int from, int length) {
        int end = from + length;
        int sp1 = buf.indexOf(from, end, (byte) ' ');
        int sp2 = sp1 < 0 ? -1 : buf.indexOf(sp1 + 1, end, (byte) ' ');
        if (sp2 < 0) {
            notBenchFormat();
            return;
        }
        int sp3 = buf.indexOf(sp2 + 1, end, (byte) ' ');
        long t = parseLong(buf, from, sp1);
        long s = parseLong(buf, sp1 + 1, sp2);
        long n = parseSignedLong(buf, sp2 + 1, sp3 < 0 ? end : sp3);
        if (t < 0 || t > Integer.MAX_VALUE || s < 0 || n == Long.MIN_VALUE) {
            notBenchFormat();
            return;
        }
        topic = (int) t;
        seq = s;
        sentNanos = n;
    }

    private void notBenchFormat() {
        topic = -1;
        seq = -1;
        sentNanos = -1;
    }

    private void dispatch() {
        if (pendingIdLength >= 0) {
            byte[] swap = lastId;
            lastId = pendingId;
            lastIdLength = pendingIdLength;
            pendingId = swap;
            pendingIdLength = -1;
        }
        if (hasData) {
            hasData = false;
            listener.onEvent(topic, seq, sentNanos);
        }
    }

    /** Non-negative decimal in [from, to), or -1. */
    static long parseLong(ByteBuf buf, int from, int to) {
        if (from >= to || to - from > 18) {
            return -1;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = buf.getByte(i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /** Decimal with an optional minus sign (System.nanoTime may be negative), or Long.MIN_VALUE. */
    private static long parseSignedLong(ByteBuf buf, int from, int to) {
        if (from < to && buf.getByte(from) == '-') {
            long v = parseLong(buf, from + 1, to);
            return v < 0 ? Long.MIN_VALUE : -v;
        }
        long v = parseLong(buf, from, to);
        return v < 0 ? Long.MIN_VALUE : v;
    }

    private static int indexOf(ByteBuf buf, String needle) {
        int n = needle.length();
        outer:
        for (int i = buf.readerIndex(), last = buf.writerIndex() - n; i <= last; i++) {
            for (int j = 0; j < n; j++) {
                if (buf.getByte(i + j) != needle.charAt(j)) {
                    continue outer;
                }
            }
            return i - buf.readerIndex();
        }
        return -1;
    }
}
