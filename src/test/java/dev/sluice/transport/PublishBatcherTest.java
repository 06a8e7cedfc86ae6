package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.topic.Update;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batching of publishes on a real Netty event loop, with a sender standing in for the engine
 * client: what one pass of a loop publishes is written as one batch in call order, every publish
 * gets its own entry's outcome, a batch that cannot be written fails every publish in it, an
 * entry never answered fails at the deadline, and the futures complete on the publishing loop.
 */
class PublishBatcherTest {

    final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
    final EventLoop loop = loops.next();
    final List<PublishBatcher.Batch> sent = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    static Update update(int i) {
        return new Update("u" + i, List.of("t"), "d" + i, false, null, -1);
    }

    /** Publishes n updates in one task of the loop; returns their futures. */
    List<CompletableFuture<Update>> publishOnLoop(PublishBatcher batcher, int n) throws Exception {
        return loop.submit(() -> {
            List<CompletableFuture<Update>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(batcher.publish(update(i)));
            }
            return results;
        }).get(5, TimeUnit.SECONDS);
    }

    @Test
    void onePassOfTheLoopIsOneBatchInCallOrderAndCompletesOnTheLoop() throws Exception {
        List<Thread> completedOn = new CopyOnWriteArrayList<>();
        PublishBatcher batcher = new PublishBatcher(b -> {
            sent.add(b);
            // Answered from another thread, as an engine client does.
            Thread.ofPlatform().start(() -> {
                for (int i = b.size() - 1; i >= 0; i--) {
                    b.stored(i);
                }
            });
        }, Duration.ZERO, () -> null);

        // The callbacks are attached in the same pass as the publishes, before the batch is even
        // written, so they run where the futures complete (awaited with a latch: a thread blocked
        // in get() may run pending callbacks itself).
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(5);
        List<CompletableFuture<Update>> results = loop.submit(() -> {
            List<CompletableFuture<Update>> r = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                CompletableFuture<Update> f = batcher.publish(update(i));
                f.whenComplete((u, e) -> {
                    completedOn.add(Thread.currentThread());
                    done.countDown();
                });
                r.add(f);
            }
            return r;
        }).get(5, TimeUnit.SECONDS);
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(results.get(i).get(5, TimeUnit.SECONDS).id()).isEqualTo("u" + i);
        }
        assertThat(sent).hasSize(1);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < sent.get(0).size(); i++) {
            ids.add(sent.get(0).update(i).id());
        }
        assertThat(ids).containsExactly("u0", "u1", "u2", "u3", "u4");
        Thread loopThread = loop.submit(Thread::currentThread).get();
        assertThat(completedOn).hasSize(5).containsOnly(loopThread);

        // The next pass is the next batch.
        publishOnLoop(batcher, 2).get(1).get(5, TimeUnit.SECONDS);
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).size()).isEqualTo(2);
    }

    @Test
    void aBatchThatCannotBeWrittenFailsEveryPublishInIt() throws Exception {
        PublishBatcher batcher = new PublishBatcher(b -> {
            sent.add(b);
            throw new IllegalStateException("connection reset");
        }, Duration.ZERO, () -> null);

        List<CompletableFuture<Update>> results = publishOnLoop(batcher, 4);
        for (CompletableFuture<Update> r : results) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> r.get(5, TimeUnit.SECONDS));
            assertThat(e.getCause()).isInstanceOf(TransportUnavailableException.class)
                    .hasMessageContaining("connection reset");
        }
        assertThat(sent).as("one write attempt for the four").hasSize(1);
    }

    @Test
    void everyPublishGetsItsOwnEntrysOutcome() throws Exception {
        PublishBatcher batcher = new PublishBatcher(b -> {
            sent.add(b);
            b.stored(2);
            b.failed(1, new TransportUnavailableException("refused: entry 1"));
            b.stored(0);
        }, Duration.ZERO, () -> null);

        List<CompletableFuture<Update>> results = publishOnLoop(batcher, 3);
        assertThat(results.get(0).get(5, TimeUnit.SECONDS).id()).isEqualTo("u0");
        assertThat(results.get(2).get(5, TimeUnit.SECONDS).id()).isEqualTo("u2");
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> results.get(1).get(5, TimeUnit.SECONDS));
        assertThat(e.getCause()).hasMessage("refused: entry 1");
    }

    @Test
    void anEntryNeverAnsweredFailsAtTheDeadlineAndALateAnswerIsIgnored() throws Exception {
        PublishBatcher batcher = new PublishBatcher(b -> {
            sent.add(b);
            b.stored(1); // entry 0 gets no answer
        }, Duration.ofMillis(200), () -> new TransportUnavailableException("no answer within 200 ms"));

        long start = System.nanoTime();
        List<CompletableFuture<Update>> results = publishOnLoop(batcher, 2);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> results.get(0).get(5, TimeUnit.SECONDS));
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(e.getCause()).hasMessage("no answer within 200 ms");
        assertThat(results.get(1).get(5, TimeUnit.SECONDS).id()).isEqualTo("u1");

        sent.get(0).stored(0); // too late: the outcome stays
        assertThat(results.get(0)).isCompletedExceptionally();
    }

    @Test
    void offAnEventLoopEachPublishIsWrittenAtOnce() throws Exception {
        PublishBatcher batcher = new PublishBatcher(b -> {
            sent.add(b);
            b.stored(0);
        }, Duration.ofSeconds(5), () -> new TransportUnavailableException("late"));

        Update u = batcher.publish(update(7)).get(5, TimeUnit.SECONDS);
        assertThat(u.id()).isEqualTo("u7");
        batcher.publish(update(8)).get(5, TimeUnit.SECONDS);
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).size()).isEqualTo(1);
    }
}
