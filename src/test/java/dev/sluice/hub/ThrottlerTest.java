package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.Update;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The throttling rules, one script per row: per canonical topic, the first update passes at once;
 * later ones inside the window replace each other and the latest is sent when the window closes;
 * a topic without a rule is never held. Held events keep their buffer alive until sent or
 * replaced, and release it exactly once.
 *
 * <p>Time: offers are stamped with the system clock, windows are ten minutes long, and the timer
 * is an embedded event loop whose clock stands still, so held updates are sent only when a script
 * says so ({@code !}: the timers of held updates fire). {@code +} makes a whole window pass for
 * later offers (their stamps move forward) without running any timer. The timer stamps its own
 * sends with the system clock, which knows nothing of {@code +}; so in a script no offer follows
 * a {@code !} that follows a {@code +}.
 */
class ThrottlerTest {

    private static final Duration WINDOW = Duration.ofMinutes(10);

    /** A throttler with its timer, and the log of what it dispatched. */
    static final class Harness {
        final EmbeddedChannel timer = new EmbeddedChannel();
        final Object monitor = new Object();
        final Throttler throttler;
        final List<String> log = new ArrayList<>();
        final List<Event> offered = new ArrayList<>();
        private int fireStart = -1;
        private long skew;
        private boolean skewedThenClosed;

        Harness(List<Throttler.Rule> rules) {
            timer.freezeTime();
            throttler = new Throttler(rules, new SelectorCache(100, 1000), timer.eventLoop(), monitor, e -> {
                assertThat(e.chunk.refCnt()).as("a dispatched event's buffer is alive").isPositive();
                log.add(e.id);
            });
        }

        /**
         * {@code A1} is an update with id A1 on topic A; {@code A1/B} adds the alternate topic B.
         * The hub's own reference is dropped right after the offer, as history eviction would.
         */
        void offer(String token) {
            assertThat(skewedThenClosed).as("script: no offer after '+' then '!'").isFalse();
            offer(token, System.nanoTime() + skew);
        }

        /** As above at the given time; {@code ID@topic} names the topic in full. */
        void offer(String token, long nowNanos) {
            List<String> topics = new ArrayList<>();
            int at = token.indexOf('@');
            if (at > 0) {
                topics.add(token.substring(at + 1));
                token = token.substring(0, at);
            } else {
                topics.add(token.substring(0, 1));
            }
            int slash = token.indexOf('/');
            if (slash > 0) {
                topics.add(token.substring(slash + 1));
            }
            Event e = new Event(offered.size() + 1, new Update(token, topics, "", false, null, -1),
                    Unpooled.copiedBuffer(token, StandardCharsets.UTF_8), null);
            offered.add(e);
            long interval = throttler.intervalFor(topics.get(0));
            synchronized (monitor) {
                if (interval == 0) {
                    log.add(e.id); // as the hub does: unthrottled topics bypass the throttler
                } else {
                    throttler.offer(e, interval, nowNanos);
                }
            }
            e.chunk.release();
        }

        /** The timers of held updates fire: the timer runs every task due within one window. */
        void closeWindows() {
            skewedThenClosed |= skew > 0;
            log.add("!");
            int from = log.size();
            timer.advanceTimeBy(WINDOW.toNanos(), TimeUnit.NANOSECONDS);
            timer.runScheduledPendingTasks();
            // Windows of different topics may close in either order.
            Collections.sort(log.subList(from, log.size()));
        }

        void passWindow() {
            skew += WINDOW.toNanos();
        }

        void run(String script) {
            for (String step : script.trim().split("\\s+")) {
                switch (step) {
                    case "!" -> closeWindows();
                    case "+" -> passWindow();
                    default -> offer(step);
                }
            }
        }

        void clear() {
            synchronized (monitor) {
                throttler.clear();
            }
        }
    }

    /** A and B are throttled (exact rules); U is not. */
    static List<Throttler.Rule> rules() {
        return List.of(new Throttler.Rule(TopicSelector.parse("A"), WINDOW),
                new Throttler.Rule(TopicSelector.parse("B"), WINDOW));
    }

    @ParameterizedTest(name = "[{index}] {3}: {0}")
    @CsvSource(delimiter = '|', textBlock = """
            A1                      | A1                 | 0 | the first update passes at once
            A1 A2                   | A1                 | 0 | the next inside the window is held
            A1 A2 !                 | A1 ! A2            | 0 | the held update is sent when the window closes
            A1 A2 A3 A4 !           | A1 ! A4            | 2 | latest wins
            A1 !                    | A1 !               | 0 | nothing held, nothing sent at the close
            A1 A2 ! A3              | A1 ! A2            | 0 | a send at the close opens a new window
            A1 A2 ! A3 A4 !         | A1 ! A2 ! A4       | 1 | window after window, the latest of each
            A1 A2 ! !               | A1 ! A2 !          | 0 | a held update is sent once
            A1 B1 A2 B2             | A1 B1              | 0 | one window per topic
            A1 B1 A2 B2 B3 !        | A1 B1 ! A2 B3      | 1 | each topic keeps its own latest
            A1 A2 B1 !              | A1 B1 ! A2         | 0 | a held topic does not hold another
            A1 U1 U2 A2 U3 !        | A1 U1 U2 U3 ! A2   | 0 | a topic without a rule is never held
            A1 A2/B B1 !            | A1 B1 ! A2/B       | 0 | the canonical topic decides the window
            A1/B B1                 | A1/B B1            | 0 | an alternate topic opens no window
            U1/A A1                 | U1/A A1            | 0 | an alternate topic is not throttled
            A1 + A2                 | A1 A2              | 0 | after a quiet window the next passes at once
            A1 + A2 + A3 + A4       | A1 A2 A3 A4        | 0 | one per window, each at once
            A1 + A2 A3              | A1 A2              | 0 | a send at once opens a new window
            A1 A2 + A3 !            | A1 ! A3            | 1 | window over, timer not run yet: still held, in order
            A1 + A2 A3 A4 !         | A1 A2 ! A4         | 1 | latest wins in a later window too
            """)
    void script(String script, String expected, long replaced, String rule) {
        Harness h = new Harness(rules());
        h.run(script);
        assertThat(String.join(" ", h.log)).as(rule).isEqualTo(expected);
        assertThat(h.throttler.replaced).as("replaced held updates").isEqualTo(replaced);

        // Shutdown drops what is still held; nothing is sent afterwards.
        h.clear();
        int sent = h.log.size();
        h.timer.advanceTimeBy(WINDOW.toNanos(), TimeUnit.NANOSECONDS);
        h.timer.runScheduledPendingTasks();
        assertThat(h.log).hasSize(sent);
        assertThat(h.offered).as("every buffer released exactly once").allSatisfy(e ->
                assertThat(e.chunk.refCnt()).as(e.id).isZero());
        h.timer.finishAndReleaseAll();
    }

    /**
     * Idle windows are forgotten once 10,000 topics have one; a window is idle after ten of its
     * own intervals. Many topics on a short rule must not make a long rule's open window look idle.
     */
    @Test
    void manyShortWindowsDoNotEndALongOneEarly() {
        Duration shortWindow = Duration.ofMillis(1);
        Harness h = new Harness(List.of(new Throttler.Rule(TopicSelector.parse("A"), WINDOW),
                new Throttler.Rule(TopicSelector.parse("f/{n}"), shortWindow)));
        long start = System.nanoTime();
        h.offer("A1", start);
        // A second later (well inside A's ten-minute window), 10,001 short-window topics.
        for (int i = 0; i <= 10_000; i++) {
            h.offer("F" + i + "@f/" + i, start + Duration.ofSeconds(1).toNanos());
        }
        h.offer("A2", start + Duration.ofSeconds(2).toNanos());
        assertThat(h.log).as("A2 is inside A's window").doesNotContain("A2").contains("A1", "F0", "F10000");
        h.clear();
        h.timer.finishAndReleaseAll();
    }

    /** Rules as {@code selector=millis}, space separated; the first rule that matches wins. */
    @ParameterizedTest(name = "[{index}] {0}: {1} -> {2} ms")
    @CsvSource(delimiter = '|', textBlock = """
            prices/{sym}=100                      | prices/ACME     | 100
            prices/{sym}=100                      | prices/         | 100
            prices/{sym}=100                      | news/1          | 0
            prices/{sym}=100                      | prices/ACME/x   | 0
            prices/{sym}=100                      | prices/{sym}    | 100
            prices/ACME=5000 prices/{sym}=100     | prices/ACME     | 5000
            prices/ACME=5000 prices/{sym}=100     | prices/XYZ      | 100
            prices/{sym}=100 prices/ACME=5000     | prices/ACME     | 100
            prices/{sym}=100 *=1000               | news/1          | 1000
            *=1000 prices/{sym}=100               | prices/ACME     | 1000
            a=250                                 | A               | 0
            """)
    void intervalIsTheFirstMatchingRules(String rules, String topic, long expectedMillis) {
        List<Throttler.Rule> parsed = new ArrayList<>();
        for (String r : rules.trim().split("\\s+")) {
            int eq = r.lastIndexOf('=');
            parsed.add(new Throttler.Rule(TopicSelector.parse(r.substring(0, eq)),
                    Duration.ofMillis(Long.parseLong(r.substring(eq + 1)))));
        }
        Throttler t = new Throttler(parsed, new SelectorCache(100, 1000), new EmbeddedChannel().eventLoop(),
                new Object(), e -> { });
        assertThat(t.isEmpty()).isFalse();
        assertThat(t.intervalFor(topic)).isEqualTo(Duration.ofMillis(expectedMillis).toNanos());
    }
}
