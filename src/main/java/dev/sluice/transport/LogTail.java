package dev.sluice.transport;

import dev.sluice.topic.Update;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node has read of a shared log: it hands the entries to the hub, one thread at a time in
 * log order, remembers the position of the last one, and completes the callers waiting until
 * the node has read up to a position ({@link Transport#caughtUp()}, and the replay at start).
 *
 * <p>Only the transport's reading thread calls {@link #deliver}, {@link #skipTo} and
 * {@link #restartAt}; {@link #reached} may be called from any thread. A waiter is registered
 * under the lock after comparing with the position, and the position is written before the lock
 * is taken to release waiters, so no waiter can miss its release.
 *
 * @param <P> a position in the log (a stream sequence, a stream entry id)
 */
final class LogTail<P extends Comparable<P>> {
    private static final Logger log = LoggerFactory.getLogger(LogTail.class);

    private final String name;
    private final Consumer<Update> sink;
    private final AtomicLong foreign = new AtomicLong();
    private final PriorityQueue<Waiter<P>> waiters = new PriorityQueue<>();
    private volatile P position;

    private record Waiter<P extends Comparable<P>>(P target, CompletableFuture<Void> done) implements Comparable<Waiter<P>> {
        @Override
        public int compareTo(Waiter<P> o) {
            return target.compareTo(o.target);
        }
    }

    /**
     * @param name the log, as it should appear in log lines ("stream 'sluice:log'")
     * @param start the position before the first entry this node will read
     */
    LogTail(String name, Consumer<Update> sink, P start) {
        this.name = name;
        this.sink = sink;
        this.position = start;
    }

    /** Position of the last entry handed to the hub (or skipped). */
    P position() {
        return position;
    }

    /** Decodes an entry written by {@link UpdateCodec} and hands it to the hub; counts it when it is not one. */
    void deliver(P at, byte[] entry) {
        Update u;
        try {
            u = UpdateCodec.decode(entry);
        } catch (IllegalArgumentException e) {
            u = null;
        }
        deliver(at, u);
    }

    /** Hands an update to the hub; null for an entry that is not a Sluice update (counted, skipped). */
    void deliver(P at, Update u) {
        if (u == null) {
            if (foreign.getAndIncrement() == 0) {
                log.warn("{} holds entry {} that is not a Sluice update; skipping such entries", name, at);
            }
        } else {
            try {
                sink.accept(u);
            } catch (RuntimeException e) {
                log.error("the hub could not take entry {} of {}", at, name, e);
            }
        }
        skipTo(at);
    }

    /** Moves on to a position without delivering anything up to it. */
    void skipTo(P at) {
        position = at;
        synchronized (waiters) {
            Waiter<P> w;
            while ((w = waiters.peek()) != null && w.target.compareTo(at) <= 0) {
                waiters.poll().done.complete(null);
            }
        }
    }

    /**
     * Starts over at an earlier position (the log was created anew). Every waiter is released: the
     * position it waited for belonged to a log that no longer exists.
     */
    void restartAt(P at) {
        position = at;
        releaseAll();
    }

    /** Completes once this node has read up to {@code target} (at once if it has). */
    CompletableFuture<Void> reached(P target) {
        synchronized (waiters) {
            if (position.compareTo(target) >= 0) {
                return CompletableFuture.completedFuture(null);
            }
            Waiter<P> w = new Waiter<>(target, new CompletableFuture<>());
            waiters.add(w);
            return w.done;
        }
    }

    /** Completes every waiter now (normally), e.g. on close. */
    void releaseAll() {
        synchronized (waiters) {
            waiters.forEach(w -> w.done.complete(null));
            waiters.clear();
        }
    }

    /** Fails every waiter with the given failure, e.g. on close. */
    void failAll(RuntimeException failure) {
        synchronized (waiters) {
            waiters.forEach(w -> w.done.completeExceptionally(failure));
            waiters.clear();
        }
    }

    /** Entries that were not Sluice updates. */
    long foreignEntries() {
        return foreign.get();
    }
}
