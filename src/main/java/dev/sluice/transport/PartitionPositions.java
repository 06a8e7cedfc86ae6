package dev.sluice.transport;

import dev.sluice.topic.Partitions;
import dev.sluice.topic.Update;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * A partitioned transport's read position over every partition (per partition the millisecond
 * and sequence parts of the last entry this node read, {@link Partitions#NEVER} before any), and
 * the hand-over of each entry to the hub with the position after it as the update's id. Not
 * thread-safe: the transport calls it under its own delivery lock, one entry at a time.
 */
final class PartitionPositions {
    private final long[] millis;
    private final long[] seqs;

    PartitionPositions(int partitions) {
        millis = new long[partitions];
        seqs = new long[partitions];
        Arrays.fill(millis, Partitions.NEVER);
        Arrays.fill(seqs, Partitions.NEVER);
    }

    /** Moves partition {@code p}'s position without delivering anything (history skipped, a stream created anew). */
    void set(int p, long entryMillis, long entrySeq) {
        millis[p] = entryMillis;
        seqs[p] = entrySeq;
    }

    /**
     * Hands one entry of partition {@code p} to the hub: the update with the position after it as
     * its id; an entry that is not a Sluice update ({@code u} null) is counted in {@code foreign}
     * and skipped, with a WARN the first time. {@code where} and {@code entry} name it in logs.
     */
    void deliver(int p, long entryMillis, long entrySeq, Update u, Consumer<Update> sink, AtomicLong foreign,
                 Logger log, String where, Object entry) {
        if (u == null) {
            if (foreign.getAndIncrement() == 0) {
                log.warn("{} holds entry {} that is not a Sluice update; skipping such entries", where, entry);
            }
            return;
        }
        set(p, entryMillis, entrySeq);
        String position = new Partitions.Position(p, millis, seqs).encode();
        try {
            sink.accept(new Update(position, u.topics(), u.data(), u.isPrivate(), u.type(), u.retry()));
        } catch (RuntimeException e) {
            log.error("the hub could not take entry {} of {}", entry, where, e);
        }
    }
}
