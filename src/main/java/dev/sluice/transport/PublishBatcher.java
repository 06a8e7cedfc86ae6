package dev.sluice.transport;

import dev.sluice.topic.Update;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The publish side of a clustered transport: gathers the publishes one event-loop thread makes in
 * one pass of its loop, hands them to the engine as one write, and completes their futures back
 * on that thread, in one task. Engine-neutral: the {@link Sender} says how a batch is written
 * (which key or subject each update goes to is its business), this class only says when, and how
 * the answers come back.
 *
 * <p><b>Why.</b> Written one by one from the HTTP event loops, every publish cost the engine
 * client a task on its own thread and a socket write of its own, the engine a read and a write of
 * its own, and the acknowledgement a task back on the HTTP loop: about one context switch per
 * publish on Redis and two on NATS, against almost none on the memory transport (see
 * BENCHMARKS-cluster.md, "Publish path"). In a batch those costs are paid once per pass of the
 * loop, whatever the number of publishes it read.
 *
 * <p><b>When.</b> A publish made on a Netty event loop (the HTTP edge publishes on the loop of the
 * request's connection) joins that loop's open batch; the first publish of a batch schedules the
 * flush as a task of the same loop, and a loop runs its tasks after the I/O of the current pass,
 * so the batch holds every publish read in that pass. Off an event loop a publish is a batch of
 * one, written at once. A caller on an event loop must not block that loop waiting for the
 * future (no Netty code may), since the flush runs on it.
 *
 * <p><b>Order.</b> A batch keeps the order of the publish calls, and one loop's batches are
 * written in the order they were made, so updates published one after another on one thread (one
 * publisher connection) reach the engine in that order, as when each was written on its own.
 *
 * <p><b>Outcome.</b> Every publish gets its own entry's answer: stored, or a
 * {@link TransportUnavailableException}. A batch that cannot be written at all (the engine
 * client throws) fails every publish in it. The futures of a batch complete together, once every
 * entry has its answer or the deadline (if any) has passed; a publish that has no answer by then
 * fails with the deadline's exception, as it did with a per-publish timeout.
 */
final class PublishBatcher {

    /** How a transport writes a batch. */
    interface Sender {
        /**
         * Writes the batch's updates, in order, in as few writes as the engine client allows, and
         * reports each entry's outcome with {@link Batch#stored} or {@link Batch#failed} (from any
         * thread). Throwing fails every entry not yet answered.
         */
        void send(Batch batch);
    }

    private final Sender sender;
    private final long deadlineNanos;
    private final Supplier<TransportUnavailableException> late;
    /** The open batch of the current thread, when it is an event loop. Touched by that thread only. */
    private final ThreadLocal<Open> open = ThreadLocal.withInitial(Open::new);

    /**
     * @param deadline  how long a batch may wait for its answers, 0 when the engine client times
     *                  out each command itself
     * @param late      the failure of a publish still unanswered at the deadline
     */
    PublishBatcher(Sender sender, Duration deadline, Supplier<TransportUnavailableException> late) {
        this.sender = sender;
        this.deadlineNanos = deadline.toNanos();
        this.late = late;
    }

    CompletableFuture<Update> publish(Update update) {
        CompletableFuture<Update> result = new CompletableFuture<>();
        EventExecutor loop = ThreadExecutorMap.currentExecutor();
        if (loop == null) {
            send(new Batch(List.of(update), List.of(result), null));
            return result;
        }
        Open batch = open.get();
        batch.updates.add(update);
        batch.results.add(result);
        if (!batch.scheduled) {
            batch.scheduled = true;
            try {
                loop.execute(() -> flush(loop, batch));
            } catch (RejectedExecutionException e) { // the loop is shutting down: write it now
                flush(null, batch);
            }
        }
        return result;
    }

    /** On the loop (or, when it refused the task, the caller): writes what the pass gathered. */
    private void flush(EventExecutor loop, Open batch) {
        batch.scheduled = false;
        if (batch.updates.isEmpty()) {
            return;
        }
        Batch sent = new Batch(batch.updates, batch.results, loop);
        batch.updates = new ArrayList<>();
        batch.results = new ArrayList<>();
        send(sent);
    }

    private void send(Batch batch) {
        if (deadlineNanos > 0) {
            if (batch.home != null) {
                batch.deadline = batch.home.schedule(batch::expire, deadlineNanos, TimeUnit.NANOSECONDS);
            } else {
                CompletableFuture.delayedExecutor(deadlineNanos, TimeUnit.NANOSECONDS).execute(batch::expire);
            }
        }
        try {
            sender.send(batch);
        } catch (RuntimeException e) {
            batch.failAll(e instanceof TransportUnavailableException t ? t
                    : new TransportUnavailableException("the write to the engine failed: " + Causes.rootMessage(e), e));
        }
    }

    private static final class Open {
        List<Update> updates = new ArrayList<>();
        List<CompletableFuture<Update>> results = new ArrayList<>();
        boolean scheduled;
    }

    /** Publishes written together; their outcomes arrive from the engine client's threads. */
    final class Batch {
        private final List<Update> updates;
        private final List<CompletableFuture<Update>> results;
        /** Null (stored not yet answered), the update (stored) or a TransportUnavailableException. */
        private final AtomicReferenceArray<Object> outcomes;
        private final AtomicInteger unanswered;
        /** The loop the publishes came from, where they complete; null: wherever the last answer comes. */
        private final EventExecutor home;
        private volatile Future<?> deadline;

        private Batch(List<Update> updates, List<CompletableFuture<Update>> results, EventExecutor home) {
            this.updates = updates;
            this.results = results;
            this.outcomes = new AtomicReferenceArray<>(updates.size());
            this.unanswered = new AtomicInteger(updates.size());
            this.home = home;
        }

        int size() {
            return updates.size();
        }

        Update update(int i) {
            return updates.get(i);
        }

        /** The engine stored entry {@code i}. */
        void stored(int i) {
            answer(i, updates.get(i));
        }

        /** Entry {@code i} was not stored (or may not have been). */
        void failed(int i, TransportUnavailableException cause) {
            answer(i, cause);
        }

        /** Fails every entry not answered yet. */
        void failAll(TransportUnavailableException cause) {
            for (int i = 0; i < updates.size(); i++) {
                answer(i, cause);
            }
        }

        private void expire() {
            if (unanswered.get() > 0) {
                failAll(late.get());
            }
        }

        /** The first answer of an entry counts (a late acknowledgement after the deadline is ignored). */
        private void answer(int i, Object outcome) {
            if (outcomes.compareAndSet(i, null, outcome) && unanswered.decrementAndGet() == 0) {
                if (home == null || home.inEventLoop()) {
                    complete();
                } else {
                    try {
                        home.execute(this::complete);
                    } catch (RejectedExecutionException e) {
                        complete(); // the loop is shutting down
                    }
                }
            }
        }

        private void complete() {
            Future<?> d = deadline;
            if (d != null) {
                d.cancel(false);
            }
            for (int i = 0; i < results.size(); i++) {
                Object outcome = outcomes.get(i);
                if (outcome instanceof TransportUnavailableException failure) {
                    results.get(i).completeExceptionally(failure);
                } else {
                    results.get(i).complete((Update) outcome);
                }
            }
        }
    }
}
