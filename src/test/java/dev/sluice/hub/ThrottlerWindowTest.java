package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.Update;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The throttle windows: what goes out at once, what is held, replaced, sent later, forgotten. */
class ThrottlerWindowTest {

    private static final long SECOND = 1_000_000_000L;

    private final DefaultEventLoop timer = new DefaultEventLoop();
    private final Object monitor = new Object();
    private final List<Event> dispatched = new ArrayList<>();
    private final List<ByteBuf> buffers = new ArrayList<>();
    private final SelectorCache cache = new SelectorCache(100, 1000);
    private long seq;

    @AfterEach
    void stop() {
        timer.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private Throttler throttler(Throttler.Rule... rules) {
        return new Throttler(List.of(rules), cache, timer, monitor, e -> {
            synchronized (dispatched) {
                dispatched.add(e);
            }
        });
    }

    private Event event(String topic) {
        ByteBuf b = Unpooled.buffer(1).writeByte(0);
        buffers.add(b);
        seq++;
        return new Event(seq, new Update("e" + seq, List.of(topic), "", false, null, -1), b, null);
    }

    private List<Long> dispatchedSeqs() {
        synchronized (dispatched) {
            return dispatched.stream().map(e -> e.seq).toList();
        }
    }

    private static int windows(Throttler t) throws ReflectiveOperationException {
        Field f = Throttler.class.getDeclaredField("windows");
        f.setAccessible(true);
        return ((Map<?, ?>) f.get(t)).size();
    }

    @Test
    void theFirstMatchingRuleGivesTheInterval() {
        Throttler t = throttler(
                new Throttler.Rule(TopicSelector.parse("https://e.com/fast/{x}"), Duration.ofMillis(10)),
                new Throttler.Rule(TopicSelector.parse("https://e.com/{a}/{b}"), Duration.ofMillis(500)));
        assertThat(t.isEmpty()).isFalse();
        assertThat(t.intervalFor("https://e.com/fast/1")).isEqualTo(10_000_000L);
        assertThat(t.intervalFor("https://e.com/slow/1")).isEqualTo(500_000_000L);
        assertThat(t.intervalFor("https://e.com/other")).isZero();
        assertThat(throttler().isEmpty()).isTrue();
        assertThat(throttler().intervalFor("https://e.com/fast/1")).isZero();
    }

    @Test
    void oneUpdatePerWindowAtOnceThenTheLatestWhenTheWindowCloses() {
        Throttler t = throttler();
        long interval = SECOND / 5;
        long t0 = System.nanoTime();
        Event first = event("a");
        Event second = event("a");
        Event third = event("a");
        synchronized (monitor) {
            t.offer(first, interval, t0);
            assertThat(dispatchedSeqs()).containsExactly(first.seq);
            t.offer(second, interval, t0 + 1);
            t.offer(third, interval, t0 + 2);
            assertThat(dispatchedSeqs()).as("held inside the window").containsExactly(first.seq);
            // still under the monitor, so the window cannot close meanwhile
            assertThat(t.replaced).isEqualTo(1);
            assertThat(second.chunk.refCnt()).as("the replaced one is released by the window").isEqualTo(1);
            assertThat(third.chunk.refCnt()).as("the held one is retained by the window").isEqualTo(2);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> dispatchedSeqs().size() == 2);
        assertThat(dispatchedSeqs()).containsExactly(first.seq, third.seq);
        assertThat(third.chunk.refCnt()).as("released after dispatch").isEqualTo(1);
    }

    @Test
    void anUpdateExactlyOneIntervalLaterGoesOutAtOnce() {
        Throttler t = throttler();
        long interval = 60 * SECOND;
        long t0 = System.nanoTime();
        Event a = event("a");
        Event b = event("a");
        Event c = event("a");
        synchronized (monitor) {
            t.offer(a, interval, t0);
            t.offer(b, interval, t0 + interval);
            t.offer(c, interval, t0 + interval + 1);
        }
        // scheduled tasks run in deadline order: once this later one has run, a send of c
        // scheduled too early would have happened
        timer.schedule(() -> { }, 50, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
        assertThat(dispatchedSeqs()).as("c waits for the end of b's window").containsExactly(a.seq, b.seq);
        assertThat(c.chunk.refCnt()).isEqualTo(2);
        synchronized (monitor) {
            t.clear();
        }
        assertThat(c.chunk.refCnt()).as("clear drops held events").isEqualTo(1);
    }

    @Test
    void theHeldUpdateIsSentWhenItsWindowCloses() {
        Throttler t = throttler();
        long interval = 60 * SECOND;
        long t0 = System.nanoTime();
        Event a = event("a");
        Event b = event("a");
        synchronized (monitor) {
            t.offer(a, interval, t0);
            // offered when the window has a twentieth of a second left: it waits only for that
            t.offer(b, interval, t0 + interval - SECOND / 20);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> dispatchedSeqs().size() == 2);
        assertThat(dispatchedSeqs()).containsExactly(a.seq, b.seq);
        // the window restarted when b went out, so the next one is held again
        Event c = event("a");
        synchronized (monitor) {
            t.offer(c, interval, System.nanoTime());
        }
        assertThat(dispatchedSeqs()).containsExactly(a.seq, b.seq);
        synchronized (monitor) {
            t.clear();
        }
        assertThat(c.chunk.refCnt()).isEqualTo(1);
    }

    @Test
    void topicsHaveTheirOwnWindows() {
        Throttler t = throttler();
        long interval = 60 * SECOND;
        long t0 = System.nanoTime();
        Event a = event("a");
        Event b = event("b");
        Event a2 = event("a");
        synchronized (monitor) {
            t.offer(a, interval, t0);
            t.offer(b, interval, t0 + 1);
            t.offer(a2, interval, t0 + 2);
            assertThat(dispatchedSeqs()).containsExactly(a.seq, b.seq);
            t.clear();
        }
    }

    @Test
    void idleWindowsAreForgottenOnceThereAreTenThousand() throws ReflectiveOperationException {
        Throttler t = throttler();
        long interval = SECOND;
        long t0 = System.nanoTime();
        synchronized (monitor) {
            for (int i = 0; i < 10_000; i++) {
                t.offer(event("idle" + i), interval, t0);
            }
            assertThat(windows(t)).as("reaching the bound forgets nothing yet").isEqualTo(10_000);
            t.offer(event("late"), interval, t0 + 10 * interval + 1);
            assertThat(windows(t)).as("at the bound, the idle windows go").isEqualTo(1);
            t.clear();
        }
    }

    @Test
    void windowsIdleForExactlyTenIntervalsOrHoldingAnUpdateAreKept() throws ReflectiveOperationException {
        Throttler t = throttler();
        long interval = SECOND;
        long t0 = System.nanoTime();
        Event held = event("held");
        synchronized (monitor) {
            t.offer(event("held"), interval, t0);
            t.offer(held, interval, t0);        // held, timer set: never forgotten while so
            for (int i = 1; i < 10_000; i++) {
                t.offer(event("idle" + i), interval, t0);
            }
            t.offer(event("late1"), interval, t0 + 10 * interval);
            assertThat(windows(t)).as("idle for exactly ten intervals is kept").isEqualTo(10_001);
            t.offer(event("late2"), interval, t0 + 10 * interval + 1);
            assertThat(windows(t)).as("held, late1, late2").isEqualTo(3);
            t.clear();
            assertThat(windows(t)).isZero();
        }
        assertThat(held.chunk.refCnt()).isEqualTo(1);
    }
}
