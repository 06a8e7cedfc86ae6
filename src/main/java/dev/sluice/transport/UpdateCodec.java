package dev.sluice.transport;

import dev.sluice.topic.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * How an {@link Update} is stored in every log that leaves the process (a NATS message, the
 * {@code update} field of a Redis stream entry, the value of a file log entry): a compact binary
 * record, so any string the publish endpoint accepted (topics may hold any character, data may be
 * a megabyte of anything) round-trips exactly, with no escaping and no header-value rules to
 * respect. One record format for all of them: a change here is a change of every log's format,
 * hence the version byte.
 *
 * <pre>
 *   byte     version (1)
 *   byte     flags: 1 private, 2 has type, 4 has retry
 *   string   id
 *   int      number of topics, then each topic as a string
 *   [string  type]
 *   [long    retry]
 *   bytes    data, UTF-8, to the end of the record
 * </pre>
 * A string is an int length followed by that many UTF-8 bytes; integers are big-endian.
 */
public final class UpdateCodec {
    private static final byte VERSION = 1;
    private static final int PRIVATE = 1;
    private static final int TYPE = 2;
    private static final int RETRY = 4;

    private UpdateCodec() {}

    public static byte[] encode(Update u) {
        return encode(u, 0);
    }

    /**
     * The record after {@code headroom} bytes left free for the caller's own header (the file log
     * puts its entry format and time there), so the entry is one array, written once.
     */
    static byte[] encode(Update u, int headroom) {
        byte[] id = utf8(u.id());
        byte[][] topics = new byte[u.topics().size()][];
        int size = headroom + 2 + 4 + id.length + 4;
        for (int i = 0; i < topics.length; i++) {
            topics[i] = utf8(u.topics().get(i));
            size += 4 + topics[i].length;
        }
        byte[] type = u.type() == null ? null : utf8(u.type());
        if (type != null) {
            size += 4 + type.length;
        }
        if (u.retry() >= 0) {
            size += 8;
        }
        byte[] data = utf8(u.data());
        size += data.length;

        ByteBuffer b = ByteBuffer.allocate(size);
        b.position(headroom);
        b.put(VERSION);
        b.put((byte) ((u.isPrivate() ? PRIVATE : 0) | (type != null ? TYPE : 0) | (u.retry() >= 0 ? RETRY : 0)));
        putString(b, id);
        b.putInt(topics.length);
        for (byte[] t : topics) {
            putString(b, t);
        }
        if (type != null) {
            putString(b, type);
        }
        if (u.retry() >= 0) {
            b.putLong(u.retry());
        }
        b.put(data);
        return b.array();
    }

    /** @throws IllegalArgumentException when the bytes are not a record written by {@link #encode} */
    public static Update decode(byte[] bytes) {
        return decode(bytes, 0);
    }

    /** The record that starts at {@code offset} and runs to the end of the array. */
    static Update decode(byte[] bytes, int offset) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes, offset, bytes.length - offset);
            byte version = b.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown log entry version " + version);
            }
            int flags = b.get();
            String id = getString(b);
            List<String> topics = getTopics(b);
            String type = (flags & TYPE) != 0 ? getString(b) : null;
            long retry = (flags & RETRY) != 0 ? b.getLong() : -1;
            String data = new String(bytes, b.position(), b.remaining(), StandardCharsets.UTF_8);
            return new Update(id, topics, data, (flags & PRIVATE) != 0, type, retry);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated log entry", e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void putString(ByteBuffer b, byte[] s) {
        b.putInt(s.length);
        b.put(s);
    }

    /** A topic count (at least one) and that many strings; shared with the file log's older layout. */
    static List<String> getTopics(ByteBuffer b) {
        int n = b.getInt();
        if (n < 1 || n > b.remaining() / 4) {
            throw new IllegalArgumentException("bad topic count " + n);
        }
        List<String> topics = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            topics.add(getString(b));
        }
        return topics;
    }

    /** An int length and that many UTF-8 bytes. */
    static String getString(ByteBuffer b) {
        int len = b.getInt();
        if (len < 0 || len > b.remaining()) {
            throw new IllegalArgumentException("bad string length " + len);
        }
        String s = new String(b.array(), b.position(), len, StandardCharsets.UTF_8);
        b.position(b.position() + len);
        return s;
    }
}
