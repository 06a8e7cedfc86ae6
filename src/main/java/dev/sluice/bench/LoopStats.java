package dev.sluice.bench;

import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What one event loop of the load generator measured. Confined to that loop while the run goes
 * on (so recording is a plain field update, no atomics); the run merges all loops' stats only
 * after a task on each loop has completed, which orders those writes before the read.
 *
 * <p>Latencies are recorded in microseconds, up to two minutes, with three significant digits.
 */
final class LoopStats {

    static final long MAX_MICROS = 120_000_000L;

    final Histogram latencyFast = histogram();
    final Histogram latencySlow = histogram();
    final Histogram connect = histogram();
    final Histogram publishAck = histogram();

    long attempted;
    long established;
    /** Failure causes of subscriber connections: refused, timeout, reset, http-503, ... */
    final Map<String, Long> failures = new TreeMap<>();
    long streamEnds;
    long reconnects;
    long churnCycles;

    long publishAcked;
    final Map<String, Long> publishFailures = new TreeMap<>();

    static Histogram histogram() {
        return new Histogram(MAX_MICROS, 3);
    }

    static void record(Histogram h, long nanos) {
        h.recordValue(Math.max(0, Math.min(MAX_MICROS, nanos / 1000)));
    }

    void fail(String cause) {
        failures.merge(cause, 1L, Long::sum);
    }

    void publishFailed(String cause) {
        publishFailures.merge(cause, 1L, Long::sum);
    }

    void addTo(LoopStats total) {
        total.latencyFast.add(latencyFast);
        total.latencySlow.add(latencySlow);
        total.connect.add(connect);
        total.publishAck.add(publishAck);
        total.attempted += attempted;
        total.established += established;
        failures.forEach((k, v) -> total.failures.merge(k, v, Long::sum));
        total.streamEnds += streamEnds;
        total.reconnects += reconnects;
        total.churnCycles += churnCycles;
        total.publishAcked += publishAcked;
        publishFailures.forEach((k, v) -> total.publishFailures.merge(k, v, Long::sum));
    }

    /** Names a connection failure the way the report groups them. */
    static String cause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        if (c instanceof io.netty.channel.ConnectTimeoutException || c instanceof java.net.SocketTimeoutException) {
            return "timeout";
        }
        String msg = String.valueOf(c.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (c instanceof java.net.ConnectException || msg.contains("refused")) {
            return "refused";
        }
        if (msg.contains("reset")) {
            return "reset";
        }
        if (msg.contains("address already in use") || msg.contains("cannot assign requested address")
                || msg.contains("address not available")) {
            return "no-local-port";
        }
        if (msg.contains("too many open files")) {
            return "fd-limit";
        }
        return c.getClass().getSimpleName();
    }
}
