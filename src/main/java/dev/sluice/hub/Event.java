package dev.sluice.hub;

import dev.sluice.topic.Update;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * An update as the hub keeps it: its place in the local log ({@link #seq}, gap-free and
 * increasing), what matching needs, and the SSE bytes encoded once.
 *
 * <h2>Who holds the bytes, and when they let go</h2>
 * {@link #chunk} is reference counted, and this is the one place that lists its holders. Each
 * holder owns exactly one reference and releases it exactly once:
 * <ol>
 * <li><b>History</b> ({@link History}): takes the encoder's reference when the event is appended;
 *     releases it when the event is evicted (count or bytes), at once if the event is too big to
 *     keep, and on {@link History#clear} when the hub closes.</li>
 * <li><b>A loop's dispatch inbox</b> ({@link LoopDispatcher}): the hub retains once per loop with
 *     subscribers before offering; an accepted event is released after it was visited by that
 *     loop's subscribers, a refused one at once, and queued ones when the inbox is discarded
 *     (overflow or close).</li>
 * <li><b>A subscriber's outbound queue</b> (the channel's outbound buffer): every write is a
 *     retained duplicate or slice, released by the channel once written, or when the channel
 *     closes with it unwritten.</li>
 * <li><b>A throttle window</b> ({@link Throttler}): retains the event it holds back; releases it
 *     when a newer one replaces it, after dispatching it when the window closes, or on
 *     {@code clear} when the hub closes.</li>
 * <li><b>A behind subscriber's conflation map</b> ({@link PendingByKey}): retains the event it
 *     holds for a key; releases it when a newer one for the key replaces it, after writing it, or
 *     when the subscriber closes or is cut loose.</li>
 * </ol>
 * Nothing else retains a chunk. The leak tests exercise every holder under Netty's paranoid leak
 * detector.
 */
public final class Event {
    final long seq;
    final String id;
    final List<String> topics;
    final boolean isPrivate;
    final ByteBuf chunk;
    final int size;
    /**
     * The canonical topic when this event may be conflated (a slow subscriber keeps only the
     * latest pending event per key), else null.
     */
    final String conflateKey;
    /**
     * When the hub handed the event to the event loops (System.nanoTime), for the fan-out
     * histogram. Written under the history monitor before the event is offered; the loops' inbox
     * (a concurrent queue) publishes it to them.
     */
    long offeredNanos;
    /**
     * The sequence number of the next kept event with the same id, or 0 when there is none (yet).
     * Read and written by {@link History} only, under its monitor.
     */
    long nextOccurrence;
    /**
     * With a partitioned log: the partition this copy of the update was read from, the partitions
     * its topics belong to, and its stream entry id; -1 / 0 otherwise. See
     * {@link dev.sluice.topic.Partitions}.
     */
    int partition = -1;
    long partitionMask;
    long entryMillis;
    long entrySeq;
    /** What history indexes the event by: its id, or with a partitioned log its entry's key. */
    String indexKey;

    Event(long seq, Update update, ByteBuf chunk, String conflateKey) {
        this.conflateKey = conflateKey;
        this.seq = seq;
        this.id = update.id();
        this.topics = update.topics();
        this.isPrivate = update.isPrivate();
        this.chunk = chunk;
        this.size = chunk.readableBytes();
        this.indexKey = id;
    }
}
