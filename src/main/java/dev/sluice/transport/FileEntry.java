package dev.sluice.transport;

import dev.sluice.topic.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The value of one entry of the file log:
 * <pre>
 *   byte     format (2)
 *   long     stored at, epoch milliseconds (for --history-max-age)
 *   ...      the update as an {@link UpdateCodec} record
 * </pre>
 * Files written before the record was shared hold format 1 entries (the same two leading fields,
 * then the update's fields in another layout); they are still read, so an existing log keeps its
 * history across the upgrade, and new entries are written in format 2 next to them.
 */
final class FileEntry {
    static final byte LEGACY_FORMAT = 1;
    static final byte FORMAT = 2;
    private static final int HEADER = 1 + 8;

    private FileEntry() {}

    static byte[] encode(Update u, long storedAtMillis) {
        byte[] value = UpdateCodec.encode(u, HEADER);
        value[0] = FORMAT;
        ByteBuffer.wrap(value, 1, 8).putLong(storedAtMillis);
        return value;
    }

    /** @throws IllegalArgumentException when the value is not an entry of either format */
    static Update decode(byte[] value) {
        if (value.length < HEADER) {
            throw new IllegalArgumentException("truncated file log entry");
        }
        return switch (value[0]) {
            case FORMAT -> UpdateCodec.decode(value, HEADER);
            case LEGACY_FORMAT -> decodeLegacy(value);
            default -> throw new IllegalArgumentException("unknown file log entry format " + value[0]);
        };
    }

    static long storedAt(byte[] value) {
        return ByteBuffer.wrap(value, 1, 8).getLong();
    }

    /**
     * Format 1, after the header: id, topic count and topics, data, private (a boolean byte),
     * whether a type follows (a boolean byte), [type], retry (a long, -1 when unset). Strings are an
     * int length and UTF-8 bytes; integers are big-endian.
     */
    private static Update decodeLegacy(byte[] value) {
        try {
            ByteBuffer b = ByteBuffer.wrap(value, HEADER, value.length - HEADER);
            String id = UpdateCodec.getString(b);
            List<String> topics = UpdateCodec.getTopics(b);
            String data = UpdateCodec.getString(b);
            boolean isPrivate = b.get() != 0;
            String type = b.get() != 0 ? UpdateCodec.getString(b) : null;
            return new Update(id, topics, data, isPrivate, type, b.getLong());
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated file log entry", e);
        }
    }
}
