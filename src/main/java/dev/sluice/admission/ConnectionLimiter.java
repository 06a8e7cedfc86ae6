package dev.sluice.admission;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open SSE streams per client address, bounded by {@code --max-connections-per-ip}. An address
 * is in the map only while it holds a stream, so the map is never larger than the number of
 * open streams.
 */
final class ConnectionLimiter {

    private final int limit;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    /** {@code limit} 0 means no limit (nothing is counted). */
    ConnectionLimiter(int limit) {
        this.limit = limit;
    }

    boolean enabled() {
        return limit > 0;
    }

    int limit() {
        return limit;
    }

    /** Takes a slot for {@code address}; false (and nothing taken) when it holds the limit already. */
    boolean tryAcquire(InetAddress address) {
        if (limit <= 0) {
            return true;
        }
        boolean[] taken = {false};
        open.compute(address, (a, n) -> {
            int now = n == null ? 0 : n;
            if (now >= limit) {
                return n;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    /** Gives back a slot taken by {@link #tryAcquire}. */
    void release(InetAddress address) {
        if (limit <= 0) {
            return;
        }
        open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    /** Streams {@code address} holds now. */
    int openFrom(InetAddress address) {
        Integer n = open.get(address);
        return n == null ? 0 : n;
    }

    /** Addresses holding at least one stream. */
    int addresses() {
        return open.size();
    }
}
