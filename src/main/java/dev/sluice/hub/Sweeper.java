package dev.sluice.hub;

import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The periodic pass over every subscriber of each loop, on that loop: a heartbeat comment for
 * streams idle for the heartbeat interval, and the end of streams whose token has expired (at
 * the instant the token verifier starts refusing it, so a reconnect with the same token is
 * refused rather than accepted and closed again), and the end of streams older than their maximum
 * age ({@code --max-connection-age}).
 */
final class Sweeper implements AutoCloseable {

    private final long heartbeatNanos;
    private final Wire wire;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();

    Sweeper(LoopDispatcher[] dispatchers, Duration heartbeat, Duration maxConnectionAge, Wire wire) {
        this.heartbeatNanos = heartbeat.toNanos();
        this.wire = wire;
        long period = periodMillis(heartbeat, maxConnectionAge);
        for (LoopDispatcher d : dispatchers) {
            tasks.add(d.loop.scheduleAtFixedRate(() -> sweep(d), period, period, TimeUnit.MILLISECONDS));
        }
    }

    /**
     * Heartbeats are checked four times per interval, token expiry at least every second, and the
     * connection age (when limited) at least every tenth of it, so a stream ends within 10 % after
     * its age plus jitter.
     */
    static long periodMillis(Duration heartbeat, Duration maxConnectionAge) {
        long hb = heartbeat.isZero() ? 1000 : heartbeat.toMillis() / 4;
        long age = maxConnectionAge.isZero() ? 1000 : maxConnectionAge.toMillis() / 10;
        return Math.max(10, Math.min(1000, Math.min(hb, age)));
    }

    /** On the loop. */
    void sweep(LoopDispatcher d) {
        long now = System.nanoTime();
        long nowMillis = System.currentTimeMillis();
        ArrayList<Subscriber> subs = d.subscribers;
        for (int i = subs.size() - 1; i >= 0; i--) {
            Subscriber s = subs.get(i);
            if (s.expiresAtMillis <= nowMillis) {
                s.close(CloseCause.TOKEN_EXPIRED, now);
                continue;
            }
            if (s.ageLimited && now - s.ageDeadlineNanos >= 0) {
                // Like an expired token: a hint and the end; the client resumes from its last id.
                s.close(CloseCause.MAX_AGE, now);
                continue;
            }
            if (heartbeatNanos > 0 && now - s.lastWriteNanos >= heartbeatNanos
                    && s.state != Subscriber.State.CLOSING) {
                s.writeStatic(wire.heartbeatChunk, wire.heartbeatRaw, now);
                s.dirty = false;
                s.channel.flush();
                d.counters.heartbeats++;
            }
        }
    }

    @Override
    public void close() {
        tasks.forEach(f -> f.cancel(false));
    }
}
