package dev.sluice.edge;

import io.netty.channel.ChannelHandlerContext;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of malformed requests: one WARN line each, naming the client, the status it was
 * answered and why; never a stack trace, since bad input is the client's mistake, not a fault
 * here.
 *
 * <p>A client that sends garbage in a loop must not flood the log, so lines are rate-limited
 * with a token bucket: a burst of {@link #BURST} lines, then one per {@link #REFILL_NANOS}. Lines
 * left out are counted, and the next line written says how many there were. Malformed requests
 * are rare and each already costs a response, so one monitor is cheap enough here.
 */
final class BadRequestLog {

    static final int BURST = 50;
    static final long REFILL_NANOS = 1_000_000_000L;

    private static final Logger log = LoggerFactory.getLogger(BadRequestLog.class);

    private final LongSupplier nanoClock;
    private final Sink sink;
    private double tokens = BURST;
    private long refilledAt;
    private long suppressed;

    /** Where lines go; the gateway's is the slf4j logger. */
    interface Sink {
        void warn(String line);
    }

    BadRequestLog() {
        this(System::nanoTime, log::warn);
    }

    BadRequestLog(LongSupplier nanoClock, Sink sink) {
        this.nanoClock = nanoClock;
        this.sink = sink;
        this.refilledAt = nanoClock.getAsLong();
    }

    /** Logs (or counts) one malformed request from the channel's peer. */
    void warn(ChannelHandlerContext ctx, int status, String reason) {
        // The socket peer, also for a stream of an HTTP/2 or HTTP/3 connection.
        java.net.InetSocketAddress peer = dev.sluice.admission.Admission.peer(ctx.channel());
        warn(String.valueOf(peer != null ? peer : ctx.channel().remoteAddress()), status, reason);
    }

    void warn(String client, int status, String reason) {
        String line;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            tokens = Math.min(BURST, tokens + (double) (now - refilledAt) / REFILL_NANOS);
            refilledAt = now;
            if (tokens < 1) {
                suppressed++;
                return;
            }
            tokens--;
            line = "bad request from " + client + ", answered " + status + ": " + oneLine(reason)
                    + (suppressed == 0 ? "" : " (" + suppressed + " more bad requests were not logged)");
            suppressed = 0;
        }
        sink.warn(line);
    }

    /** The reason as one line of bounded length: a client's bytes must not forge log lines. */
    static String oneLine(String reason) {
        String text = reason.strip();
        int max = 300;
        StringBuilder sb = new StringBuilder(Math.min(text.length(), max) + 3);
        for (int i = 0; i < text.length() && i < max; i++) {
            char c = text.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        if (text.length() > max) {
            sb.append("...");
        }
        return sb.toString();
    }
}
