package dev.sluice.topic;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32;

/**
 * How a partitioned log ({@code --partitions N}, N from 2 to 64) places topics, and the resume
 * positions it hands to subscribers.
 *
 * <h2>Placement</h2>
 * A topic belongs to partition {@code CRC-32(UTF-8 bytes of the topic) mod N} (CRC-32 as in
 * {@link CRC32}: IEEE 802.3, the checksum of zip and PNG), stable across versions, processes and
 * languages. An update is stored once in every partition one of its topics belongs to (one entry
 * for most updates, which have one topic or topics of one partition). A subscriber needs the
 * partitions of its exact topics, or every partition as soon as one of its selectors is a URI
 * template or URL pattern (it may match any topic).
 *
 * <p>Which copy a subscriber takes: the one in the lowest partition that both the update and the
 * subscriber have ({@link #takes}). That depends only on the update's topics and the
 * subscriber's selectors, never on the node, so a subscriber gets each update once and a resume
 * on another node makes the same choice. Each partition is read in order, so the updates of a
 * topic reach a subscriber in publish order; an update whose topics span partitions is ordered
 * with the partition whose copy the subscriber takes (see the README).
 *
 * <h2>Positions</h2>
 * The SSE {@code id} of every event is a position: for each partition, the id of the last entry
 * this node had read from it when it delivered the event, plus the partition the event itself
 * came from. A subscriber that has seen the events up to a position has seen every entry up to
 * those ids in the partitions it needs, and none after them, on any node.
 *
 * <p>An entry id is a pair (millis, seq), compared millis first, then seq; it must grow with
 * every entry of a partition, be the same on every node, and stay unique in a node's history.
 * <ul>
 *   <li>Redis: the stream entry id {@code millis-seq} itself.</li>
 *   <li>NATS JetStream: millis is the creation time of the partition's stream in milliseconds (as
 *       JetStream reports it: the same to every client, kept across server restarts), seq the
 *       entry's stream sequence. Within one stream millis is constant, so ids compare by stream
 *       sequence, and a stream deleted and created again (its sequences start over at 1) gets a
 *       later millis, so a position from before is older than all of its entries. The time an
 *       entry was stored is not used: it need not grow with the sequence (clocks of a cluster's
 *       servers differ). A constant millis keeps positions compact too: one {@code d} byte per
 *       partition whose stream was created at most 126 ms before the newest one.</li>
 * </ul>
 *
 * <p>Text form: {@code ~} followed by unpadded base64url of: varint N, varint own partition,
 * varint base (the largest millisecond part of the known entries), then per partition varint
 * {@code d} (0: never read, else {@code base - millis + 1}) and, when {@code d > 0}, varint seq.
 * On Redis busy partitions cost 2 or 3 bytes each, idle ones up to 6; see the README for sizes.
 */
public final class Partitions {
    /** First character of every position in text form. */
    public static final char PREFIX = '~';

    private final int count;
    private final long all;

    public Partitions(int count) {
        if (count < 1 || count > 64) {
            throw new IllegalArgumentException("partitions must be from 1 to 64, got " + count);
        }
        this.count = count;
        this.all = count == 64 ? -1L : (1L << count) - 1;
    }

    public int count() {
        return count;
    }

    /** Every partition, as a mask. */
    public long all() {
        return all;
    }

    /** The partition a topic belongs to. */
    public int of(String topic) {
        CRC32 crc = new CRC32();
        crc.update(topic.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % count);
    }

    /** The partitions an update is stored in: those of its topics. */
    public long ofTopics(List<String> topics) {
        long mask = 0;
        for (int i = 0, n = topics.size(); i < n; i++) {
            mask |= 1L << of(topics.get(i));
        }
        return mask;
    }

    /** The partitions a subscriber needs: those of its exact topics, or all of them for any pattern. */
    public long needed(List<TopicSelector> selectors) {
        long mask = 0;
        for (TopicSelector s : selectors) {
            if (s.kind() != TopicSelector.Kind.EXACT) {
                return all;
            }
            mask |= 1L << of(s.source());
        }
        return mask;
    }

    /**
     * Whether a subscriber needing {@code subscriberMask} takes the copy of an update (stored in
     * {@code updateMask}) read from {@code partition}: only the copy of the lowest partition both
     * have. A bit operation: on the delivery path, per subscriber, it allocates nothing.
     */
    public static boolean takes(long subscriberMask, long updateMask, int partition) {
        return Long.numberOfTrailingZeros(updateMask & subscriberMask) == partition;
    }

    /** Stream entry id parts of a partition that was never read: before every entry. */
    public static final long NEVER = -1;

    /**
     * A position over every partition: entry id ({@code millis-seq}, see the class comment for
     * what they are on each engine) of the last entry read of each, {@link #NEVER} for a partition
     * never read, and the partition of the event it follows.
     */
    public record Position(int own, long[] millis, long[] seq) {
        public int count() {
            return millis.length;
        }

        public boolean known(int p) {
            return millis[p] != NEVER;
        }

        /** True when entry {@code m-s} of partition {@code p} is at or before this position. */
        public boolean covers(int p, long m, long s) {
            if (millis[p] == NEVER) {
                return false;
            }
            int c = Long.compareUnsigned(m, millis[p]);
            return c < 0 || (c == 0 && Long.compareUnsigned(s, seq[p]) <= 0);
        }

        /** The entry key of partition {@code p}'s position, as {@link #entryKey} writes it. */
        public String key(int p) {
            return entryKey(p, millis[p], seq[p]);
        }

        /** The text form (see the class comment). */
        public String encode() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(8 + 4 * millis.length);
            long base = 0;
            for (long m : millis) {
                if (m != NEVER && Long.compareUnsigned(m, base) > 0) {
                    base = m;
                }
            }
            varint(out, millis.length);
            varint(out, own);
            varint(out, base);
            for (int p = 0; p < millis.length; p++) {
                if (millis[p] == NEVER) {
                    varint(out, 0);
                } else {
                    varint(out, base - millis[p] + 1);
                    varint(out, seq[p]);
                }
            }
            return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
        }

        /** The position in a text form, or null when it is not one of {@code count} partitions. */
        public static Position decode(String text, int count) {
            if (text == null || text.length() < 2 || text.charAt(0) != PREFIX || text.length() > 2048) {
                return null;
            }
            byte[] b;
            try {
                b = Base64.getUrlDecoder().decode(text.substring(1));
            } catch (IllegalArgumentException e) {
                return null;
            }
            int[] at = {0};
            try {
                long n = readVarint(b, at);
                if (n != count) {
                    return null;
                }
                long own = readVarint(b, at);
                if (own < 0 || own >= count) {
                    return null;
                }
                long base = readVarint(b, at);
                long[] millis = new long[count];
                long[] seq = new long[count];
                for (int p = 0; p < count; p++) {
                    long d = readVarint(b, at);
                    if (d == 0) {
                        millis[p] = NEVER;
                        seq[p] = NEVER;
                    } else {
                        if (Long.compareUnsigned(d - 1, base) > 0) {
                            return null;
                        }
                        millis[p] = base - (d - 1);
                        seq[p] = readVarint(b, at);
                    }
                }
                return at[0] == b.length ? new Position((int) own, millis, seq) : null;
            } catch (IndexOutOfBoundsException e) {
                return null;
            }
        }
    }

    /** Key of one stream entry of one partition, as history indexes it. */
    public static String entryKey(int partition, long millis, long seq) {
        return partition + ":" + Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(seq);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static long readVarint(byte[] b, int[] at) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b[at[0]++];
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new IndexOutOfBoundsException("varint too long");
    }
}
