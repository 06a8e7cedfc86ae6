package dev.sluice.transport;

import dev.sluice.topic.Partitions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What a partitioned transport keeps about one partition of the log for its subscribers: how many
 * of this node's subscribers need it, whether it is read now, and who waits for its reading to
 * start. Both partitioned transports (Redis and NATS) count followers and wait for partitions the
 * same way; how a partition is read is theirs. The fields are guarded by the transport's own
 * follow lock, which the static methods here expect to be held where they say so.
 */
abstract class FollowedPartition {
    /** Longest wait for a partition to start being read, or for a resume position to be reached. */
    static final long FOLLOW_LIMIT_MILLIS = 5_000;

    final int index;
    /** Subscribers of this node that need it (under the follow lock). */
    int followers;
    /** True once it is read and its history is in; read by the reading thread, changed under the follow lock. */
    volatile boolean reading;
    /** Completed when reading starts (under the follow lock); null when nobody waits. */
    CompletableFuture<Void> started;
    /** Log entries this node read from it. */
    final AtomicLong entriesRead = new AtomicLong();

    FollowedPartition(int index) {
        this.index = index;
    }

    /** Releases whoever waits for this node to reach a position in this partition (at close). */
    abstract void releaseWaiters();

    /** Under the follow lock, at close: everyone waiting on a partition is let go or refused. */
    static void closeAll(FollowedPartition[] parts) {
        for (FollowedPartition part : parts) {
            part.releaseWaiters();
            if (part.started != null) {
                part.started.completeExceptionally(new TransportUnavailableException("the transport is closing"));
                part.started = null;
            }
        }
    }

    /**
     * Under the follow lock: counts a new follower of every partition in {@code mask}, and
     * returns the starts to wait for, those of partitions not read yet.
     */
    static List<CompletableFuture<Void>> follow(FollowedPartition[] parts, long mask) {
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (long m = mask; m != 0; m &= m - 1) {
            FollowedPartition part = parts[Long.numberOfTrailingZeros(m)];
            part.followers++;
            if (!part.reading) {
                if (part.started == null) {
                    part.started = new CompletableFuture<>();
                }
                starts.add(part.started);
            }
        }
        return starts;
    }

    /** Under the follow lock: one follower fewer for every partition in {@code mask}. */
    static void unfollow(FollowedPartition[] parts, long mask) {
        for (long m = mask; m != 0; m &= m - 1) {
            FollowedPartition part = parts[Long.numberOfTrailingZeros(m)];
            if (part.followers > 0) {
                part.followers--;
            }
        }
    }

    /**
     * Not under the lock: completes once the {@code starts} completed (failing after
     * {@link #FOLLOW_LIMIT_MILLIS}), and, for a resume position of this log's layout, once this
     * node has read as far as the position in every partition of {@code mask} that
     * {@code reached} gives a future for (each bounded by the same limit: a position from
     * another log never becomes reachable, and the replay skips what the position covers either
     * way). {@code reached} returns null for a partition to which nothing need be waited for.
     */
    static CompletableFuture<Void> ready(List<CompletableFuture<Void>> starts, int count, long mask,
                                         Partitions.Position from, IntFunction<CompletableFuture<Void>> reached) {
        CompletableFuture<Void> started = CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new));
        if (from == null || from.count() != count) {
            return started.isDone() ? started : started.copy().orTimeout(FOLLOW_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
        }
        return started.copy().orTimeout(FOLLOW_LIMIT_MILLIS, TimeUnit.MILLISECONDS).thenCompose(ok -> {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (long m = mask; m != 0; m &= m - 1) {
                CompletableFuture<Void> r = reached.apply(Long.numberOfTrailingZeros(m));
                if (r != null) {
                    all.add(r.completeOnTimeout(null, FOLLOW_LIMIT_MILLIS, TimeUnit.MILLISECONDS));
                }
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        });
    }

    /** The metrics both partitioned transports give: partitions read, entries per partition, errors. */
    static void bindMetrics(MeterRegistry registry, FollowedPartition[] parts, java.util.function.IntSupplier partitionsRead,
                            AtomicLong readErrors, AtomicLong foreign) {
        // Held strongly: a gauge keeps only a weak reference to its object, and nothing else keeps the supplier.
        Gauge.builder("sluice_transport_partitions_tailed", partitionsRead, java.util.function.IntSupplier::getAsInt)
                .strongReference(true)
                .description("Partitions of the log this node reads now (those its subscribers need)")
                .register(registry);
        for (FollowedPartition part : parts) {
            FunctionCounter.builder("sluice_transport_entries_read", part.entriesRead, AtomicLong::get)
                    .tag("partition", Integer.toString(part.index))
                    .description("Log entries this node read, per partition").register(registry);
        }
        FunctionCounter.builder("sluice_transport_read_errors", readErrors, AtomicLong::get)
                .description("Failed reads of the shared log (each outage counts its retries)").register(registry);
        FunctionCounter.builder("sluice_transport_foreign_entries", foreign, AtomicLong::get)
                .description("Log entries that were not Sluice updates (skipped)").register(registry);
    }
}
