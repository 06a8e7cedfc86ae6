package dev.sluice.transport;

import dev.sluice.topic.Update;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Where published updates go before subscribers see them: the log.
 *
 * <p>A transport appends published updates to its log and hands every entry of the log, in log
 * order, to the local hub. With the memory transport the log is the hub's own history; a
 * clustered transport appends to an external engine and every node tails it, so an update
 * published on any node reaches the subscribers of all nodes in the same order.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #publish} completes only once the update is in the log (the HTTP 200 is an
 *       acknowledgement that it is stored); it completes exceptionally with
 *       {@link TransportUnavailableException} when the log cannot take it now.</li>
 *   <li>The sink given to {@link #start} is called by one thread at a time, in log order, once per
 *       entry, including entries published by other nodes.</li>
 * </ul>
 */
public interface Transport extends AutoCloseable {

    /**
     * Starts delivering log entries to the sink. Entries already in the log that the node should
     * keep for resumes (up to the history size) are delivered first, before this returns.
     */
    void start(Consumer<Update> sink) throws Exception;

    /** Appends an update to the log; completes with the update as stored. */
    CompletableFuture<Update> publish(Update update);

    /**
     * Completes once this node has handed its sink every entry that was in the log when this was
     * called. A subscriber resuming from an id this node has not seen yet (it may lag behind the
     * node that served the id) waits for this before its resume point is chosen, so it is not
     * mistaken for an unknown id. The memory transport is always caught up.
     */
    default CompletableFuture<Void> caughtUp() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * With a partitioned log: makes this node read the partitions in {@code partitions} (a mask)
     * for one more subscriber, and completes once it does, with every retained entry of a
     * partition it starts reading in history, and once it has read up to {@code from} (a resume
     * position, or null) in each of them. Completes exceptionally when the partitions cannot be
     * read now. Each call is matched by one {@link #unfollow}. A single log is read whole: this is
     * {@link #caughtUp()}.
     */
    default CompletableFuture<Void> follow(long partitions, dev.sluice.topic.Partitions.Position from) {
        return caughtUp();
    }

    /** One subscriber that {@link #follow followed} these partitions has gone. */
    default void unfollow(long partitions) {
    }

    /** False while the log cannot take publishes (engine unreachable). */
    boolean isReady();

    /** Registers the transport's own metrics (log gaps, commits...), if it has any. */
    default void bindMetrics(MeterRegistry registry) {
    }

    /** A short description for logs and {@code /readyz}, without credentials. */
    String describe();

    @Override
    void close();
}
