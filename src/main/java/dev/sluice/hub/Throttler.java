package dev.sluice.hub;

import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.SelectorCache;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * At most one dispatched update per throttled topic per interval, and always the latest one.
 *
 * <p>Throttling happens once per topic at the hub, not per subscriber: the first update of a
 * window goes out at once; later ones inside the window replace each other, and the last is sent
 * when the window closes. Every update is still in history, so a resume with Last-Event-ID still
 * gets all of them; only the live stream is thinned. Subscribers that connect while an update is
 * held get it only if they ask for a snapshot or resume (it predates their subscription).
 *
 * <p>Called under the hub's history monitor; the timer task takes the same monitor.
 */
final class Throttler {

    /** A throttling rule: topics matching the selector get at most one update per interval. */
    record Rule(TopicSelector selector, Duration interval) {}

    private static final class Window {
        /** The topic's interval (its rule never changes), which says when the window is idle. */
        final long intervalNanos;
        long lastSentNanos = Long.MIN_VALUE / 2;
        Event pending;
        boolean timerSet;

        Window(long intervalNanos) {
            this.intervalNanos = intervalNanos;
        }
    }

    private final List<Rule> rules;
    private final SelectorCache selectors;
    private final EventLoop timer;
    private final Object monitor;
    private final Consumer<Event> dispatch;
    private final HashMap<String, Window> windows = new HashMap<>();
    long replaced;

    Throttler(List<Rule> rules, SelectorCache selectors, EventLoop timer, Object monitor, Consumer<Event> dispatch) {
        this.rules = List.copyOf(rules);
        this.selectors = selectors;
        this.timer = timer;
        this.monitor = monitor;
        this.dispatch = dispatch;
    }

    boolean isEmpty() {
        return rules.isEmpty();
    }

    /** The interval for this event's canonical topic, in nanoseconds, or 0 when not throttled. */
    long intervalFor(String canonicalTopic) {
        for (Rule r : rules) {
            if (selectors.matches(r.selector(), canonicalTopic)) {
                return r.interval().toNanos();
            }
        }
        return 0;
    }

    /** Under the monitor. Sends the event now, or holds it as the latest of its window. */
    void offer(Event e, long intervalNanos, long nowNanos) {
        String topic = e.topics.get(0);
        Window w = windows.get(topic);
        if (w == null) {
            if (windows.size() >= 10_000) {
                forgetIdle(nowNanos);
            }
            w = new Window(intervalNanos);
            windows.put(topic, w);
        }
        if (w.pending == null && nowNanos - w.lastSentNanos >= intervalNanos) {
            w.lastSentNanos = nowNanos;
            dispatch.accept(e);
            return;
        }
        e.chunk.retain();
        if (w.pending != null) {
            w.pending.chunk.release();
            replaced++;
        }
        w.pending = e;
        if (!w.timerSet) {
            w.timerSet = true;
            Window window = w;
            long delay = Math.max(0, w.lastSentNanos + intervalNanos - nowNanos);
            timer.schedule(() -> fire(window), delay, TimeUnit.NANOSECONDS);
        }
    }

    private void fire(Window w) {
        synchronized (monitor) {
            w.timerSet = false;
            Event e = w.pending;
            if (e != null) {
                w.pending = null;
                w.lastSentNanos = System.nanoTime();
                dispatch.accept(e);
                e.chunk.release();
            }
        }
    }

    /** Each window by its own interval: a short rule's topics must not end a long rule's window. */
    private void forgetIdle(long nowNanos) {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            Window w = it.next();
            if (w.pending == null && !w.timerSet && nowNanos - w.lastSentNanos > 10 * w.intervalNanos) {
                it.remove();
            }
        }
    }

    /** Under the monitor; drops held events (shutdown). */
    void clear() {
        for (Window w : windows.values()) {
            if (w.pending != null) {
                w.pending.chunk.release();
                w.pending = null;
            }
        }
        windows.clear();
    }
}
