package dev.sluice.transport;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out whether entries of the Redis stream were trimmed away before this node read them.
 * Redis 7 counts every entry ever added to a stream; all but the current length of them are older
 * than the first entry left. If more of those than this node has read (the entries of the batch
 * just read that were trimmed since aside), the difference was trimmed before this node got to
 * it: counted and logged. The node goes on with the oldest entry left; its subscribers miss the
 * trimmed updates (other nodes' history may still hold them). Assumes entries are only trimmed,
 * never deleted from the middle (Sluice never does that).
 *
 * <p>Used by the reading thread only, apart from the counters.
 */
final class RedisGaps {
    private static final Logger log = LoggerFactory.getLogger(RedisGaps.class);

    private final String stream;
    private final String where;
    final AtomicLong gaps = new AtomicLong();
    final AtomicLong missedEntries = new AtomicLong();
    /** How many entries were ever added to the stream up to the node's read position. */
    private long addedUpTo;

    RedisGaps(String stream, String where) {
        this.stream = stream;
        this.where = where;
    }

    /** The read position is the newest entry of a stream that reported {@code info} (or none). */
    void startAt(List<Object> info) {
        addedUpTo = info == null ? 0 : Math.max(0, StreamInfo.of(info).entriesAdded);
    }

    /** One more entry read. */
    void read() {
        addedUpTo++;
    }

    /** Checks the stream before the node delivers {@code batch}, read after {@code position}. */
    void check(RedisCommands<String, byte[]> redis, List<StreamMessage<String, byte[]>> batch, StreamEntries.Id position) {
        List<Object> raw;
        try {
            raw = redis.xinfoStream(stream);
        } catch (RedisCommandExecutionException e) {
            if (addedUpTo > 0) {
                gaps.incrementAndGet();
                log.warn("stream '{}' no longer exists at {} (Redis restarted without persistence, or the key was"
                        + " deleted): updates after entry {} that this node had not read yet are lost", stream, where,
                        position);
                addedUpTo = 0;
            }
            return;
        }
        StreamInfo info = StreamInfo.of(raw);
        if (info.entriesAdded < 0 || info.length < 0) {
            return; // Redis before 7 does not count; nothing reliable to say
        }
        long olderThanFirst = info.entriesAdded - info.length;
        if (info.entriesAdded < addedUpTo) {
            // The stream was created anew (Redis lost its data): count from its start.
            gaps.incrementAndGet();
            log.warn("stream '{}' at {} was recreated (Redis restarted without persistence?): updates this node had"
                    + " not read before are lost", stream, where);
            addedUpTo = olderThanFirst;
            return;
        }
        long readSinceTrimmed = 0;
        if (info.firstId != null && batch != null) {
            StreamEntries.Id first = StreamEntries.Id.parse(info.firstId);
            for (StreamMessage<String, byte[]> m : batch) {
                if (StreamEntries.Id.parse(m.getId()).compareTo(first) < 0) {
                    readSinceTrimmed++;
                }
            }
        }
        long missed = olderThanFirst - readSinceTrimmed - addedUpTo;
        if (missed > 0) {
            gaps.incrementAndGet();
            missedEntries.addAndGet(missed);
            addedUpTo += missed;
            log.warn("stream '{}' was trimmed past this node's position (entry {}) before it read on: {} updates never"
                    + " reach its subscribers. Raise --history-size, or keep Redis reachable.", stream, position, missed);
        }
    }

    /** The parts of XINFO STREAM the gap check needs; -1 / null when this Redis does not report them. */
    record StreamInfo(long length, long entriesAdded, String firstId) {
        static StreamInfo of(List<?> info) {
            long length = -1;
            long added = -1;
            String first = null;
            String recordedFirst = null;
            for (int i = 0; i + 1 < info.size(); i += 2) {
                Object value = info.get(i + 1);
                switch (text(info.get(i))) {
                    case "length" -> length = ((Number) value).longValue();
                    case "entries-added" -> added = ((Number) value).longValue();
                    case "recorded-first-entry-id" -> recordedFirst = text(value);
                    case "first-entry" -> {
                        if (value instanceof List<?> l && !l.isEmpty()) {
                            first = text(l.get(0));
                        }
                    }
                    default -> { }
                }
            }
            return new StreamInfo(length, added, first != null ? first : recordedFirst);
        }

        /** Replies come as strings or as bytes, depending on the connection's codec. */
        private static String text(Object o) {
            return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
        }
    }
}
