package dev.sluice.hub;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Ends every stream of a draining gateway in waves, so its clients reconnect to the other nodes
 * spread over the drain period instead of all at once.
 *
 * <p>The period is cut into waves {@link #WAVE_MILLIS} apart (at least one). Each loop runs its
 * own waves on its own thread: with {@code L} waves left until the last one is due (by the clock)
 * it ends {@code ceil(open / L)} of its streams that are still open, so its streams are spread
 * evenly over the period, a loop with one stream ends it at once, and the last wave ends whatever
 * is left. A gateway with few streams is therefore done in a fraction of the period; one with many
 * takes the whole of it.
 *
 * <p>Each ended stream gets its own hint: a comment with its wave, a {@code retry:} drawn at random
 * between half and one and a half times {@code --retry} (so the clients of one wave come back at
 * different instants), and its resume position (see {@link Hub#drainPosition}), then the end of
 * the stream. Counted as {@link CloseCause#DRAIN}.
 */
final class Drainer {

    /** Time between two waves. */
    static final long WAVE_MILLIS = 100;

    private final Hub hub;
    private final Wire wire;
    private final int waves;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private volatile boolean cancelled;
    private final long startNanos;
    /** When the last wave is due. */
    private final long deadlineNanos;

    Drainer(Hub hub, LoopDispatcher[] dispatchers, Wire wire, Duration period) {
        this.hub = hub;
        this.wire = wire;
        this.waves = (int) Math.max(1, Math.min(100_000, period.toMillis() / WAVE_MILLIS));
        this.startNanos = System.nanoTime();
        this.deadlineNanos = startNanos + TimeUnit.MILLISECONDS.toNanos((long) (waves - 1) * WAVE_MILLIS);
        for (LoopDispatcher d : dispatchers) {
            d.loop.execute(() -> runWave(d));
        }
    }

    int waves() {
        return waves;
    }

    /**
     * On the loop: ends this wave's share of the streams still open, then schedules the next wave.
     * The share comes from the waves left until the last one is due, by the clock: a loop that runs
     * its waves late (a busy machine) ends more per wave and still finishes within the period.
     */
    private void runWave(LoopDispatcher d) {
        if (cancelled) {
            return;
        }
        long now = System.nanoTime();
        long waveNanos = TimeUnit.MILLISECONDS.toNanos(WAVE_MILLIS);
        long remaining = deadlineNanos - now;
        int left = remaining <= 0 ? 1 : (int) Math.min(waves, 1 + (remaining + waveNanos - 1) / waveNanos);
        int wave = (int) Math.min(waves, 1 + Math.max(0, now - startNanos) / waveNanos);
        if (left == 1) {
            wave = waves;
        } else {
            ScheduledFuture<?> next = d.loop.schedule(() -> runWave(d), WAVE_MILLIS, TimeUnit.MILLISECONDS);
            synchronized (tasks) {
                tasks.removeIf(ScheduledFuture::isDone);
                tasks.add(next);
            }
        }
        ArrayList<Subscriber> subs = d.subscribers;
        int open = 0;
        for (int i = 0; i < subs.size(); i++) {
            if (isOpen(subs.get(i))) {
                open++;
            }
        }
        int toEnd = (open + left - 1) / left;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long base = Math.max(1, wire.retryMillis);
        // From the end of the list: close() does not unregister at once, the list stays as it is.
        for (int i = subs.size() - 1; i >= 0 && toEnd > 0; i--) {
            Subscriber s = subs.get(i);
            if (!isOpen(s)) {
                continue;
            }
            long retry = base / 2 + random.nextLong(base);
            ByteBuf hint = wire.drainHint(hub.drainPosition(s, d), retry, wave, waves, s.chunked);
            s.close(CloseCause.DRAIN, hint, now);
            toEnd--;
        }
    }

    private static boolean isOpen(Subscriber s) {
        return s.state == Subscriber.State.LIVE || s.state == Subscriber.State.REPLAYING;
    }

    void cancel() {
        cancelled = true;
        synchronized (tasks) {
            tasks.forEach(f -> f.cancel(false));
        }
    }
}
