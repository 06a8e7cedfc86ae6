package dev.sluice.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a run measured, as printed (a table) and as written with {@code --json}. Times are in
 * milliseconds unless a name says otherwise; a reading that could not be taken is -1.
 */
public record BenchReport(String scenario, Setup setup, Connections connections, Events events,
                          Latency latency, Latency latencySlow, Slow slow, Publishes publishes, Churn churn,
                          Gateway gateway, Machine machine, boolean aborted, List<String> notes) {

    public record Setup(int subscribers, int topics, double rate, double durationSeconds, double warmupSeconds,
                        int payloadBytes, int publishConnections, double slowShare, int sourceAddresses,
                        int threads, String io, int targets, int workers) {}

    public record Connections(long attempted, long established, long failed, Map<String, Long> failedByCause,
                              double connectP50, double connectP99, double connectMax, long reconnects,
                              long streamsEndedByServer) {}

    /** {@code receivedPerSecond}: events received by the subscribers per second of the window. */
    public record Events(long expected, long received, long missed, long duplicated, long outOfOrder,
                         long unexpected, double receivedPerSecond) {}

    public record Latency(long count, double p50, double p90, double p99, double p999, double max) {
        static Latency of(Histogram h) {
            return new Latency(h.getTotalCount(), ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9),
                    h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0);
        }

        private static double ms(Histogram h, double percentile) {
            return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    /** {@code cutLoose}: streams of slow subscribers that the server ended or closed. */
    public record Slow(int slowSubscribers, long cutLoose, long reconnects, long missed, long duplicated,
                       long fastMissed) {}

    public record Publishes(long attempted, long acknowledged, long failed, Map<String, Long> failedByCause,
                            double ackP50, double ackP99, double ackMax, double schedulerLagP99) {}

    public record Churn(long cycles, long failures, double cyclesPerSecond) {}

    public record Gateway(long pid, double windowSeconds, double cpuSeconds, long rssBeforeConnectKiB,
                          long rssAfterConnectKiB, long rssEndKiB, long rssMaxKiB, double rssBytesPerConnection,
                          long liveHeapBeforeKiB, long liveHeapAfterKiB, double directBytesBefore,
                          double directBytesAfter, double liveBytesPerConnection, double deliveries,
                          double cpuMicrosPerDelivery, double cpuMicrosPerReceivedEvent, long healthzOk,
                          long healthzFailed, double healthzMax, double slowDisconnects,
                          double cpuUserSeconds, double cpuSystemSeconds, double userMicrosPerDelivery,
                          double systemMicrosPerDelivery, List<Long> pids, int targets, double deliveriesPerSecond) {}

    /**
     * The machine during the window: what the load generator (this process and its workers,
     * {@code benchProcesses} in all) and everything else used.
     */
    public record Machine(int cores, double loadAverageBefore, double busyCpuSeconds, double benchCpuSeconds,
                          double otherCpuSeconds, int benchProcesses, long benchRssKiB) {}

    /** Writes the report as JSON. */
    public void writeJson(Path file) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), this);
    }

    public String toJson() throws IOException {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
    }

    /** The human-readable table. */
    public void print(PrintStream out) {
        Setup s = setup;
        out.printf(Locale.ROOT, "sluice bench: %s, %d subscribers, %d topic(s), %.0f updates/s, %.0f s window"
                        + " (+%.0f s warm-up), %d-byte payloads, %d source address(es), I/O kind %s%s%n",
                scenario, s.subscribers, s.topics, s.rate, s.durationSeconds, s.warmupSeconds, s.payloadBytes,
                s.sourceAddresses, s.io, aborted ? "  ** ABORTED (see the notes) **" : "");
        if (s.targets > 1 || s.workers > 0) {
            line(out, "gateways / load processes", s.targets + " / " + (s.workers > 0 ? "1 publisher + " + s.workers
                    + " workers" : "1"));
        }
        line(out, "connections attempted / established / failed",
                connections.attempted + " / " + connections.established + " / " + connections.failed
                        + (connections.failedByCause.isEmpty() ? "" : " " + connections.failedByCause));
        line(out, "connect time p50 / p99 / max", f(connections.connectP50) + " / " + f(connections.connectP99)
                + " / " + f(connections.connectMax) + " ms");
        line(out, "reconnects / streams ended by server", connections.reconnects + " / " + connections.streamsEndedByServer);
        if (churn != null) {
            line(out, "churn cycles / failures / cycles per s", churn.cycles + " / " + churn.failures + " / "
                    + f(churn.cyclesPerSecond));
        }
        if (publishes != null) {
            line(out, "publishes attempted / acknowledged / failed", publishes.attempted + " / "
                    + publishes.acknowledged + " / " + publishes.failed
                    + (publishes.failedByCause.isEmpty() ? "" : " " + publishes.failedByCause));
            line(out, "publish ack p50 / p99 / max", f(publishes.ackP50) + " / " + f(publishes.ackP99) + " / "
                    + f(publishes.ackMax) + " ms (scheduler lag p99 " + f(publishes.schedulerLagP99) + " ms)");
            line(out, "events expected / received", events.expected + " / " + events.received + " ("
                    + f(events.receivedPerSecond) + " per s of window)");
            line(out, "events missed / duplicated / out of order", events.missed + " / " + events.duplicated
                    + " / " + events.outOfOrder + (events.unexpected > 0 ? " (unacknowledged but received: "
                    + events.unexpected + ")" : ""));
            latency(out, slow != null ? "publish->receive (fast subscribers)" : "publish->receive", latency);
            if (slow != null) {
                latency(out, "publish->receive (slow subscribers)", latencySlow);
                line(out, "slow subscribers / cut loose / reconnects", slow.slowSubscribers + " / " + slow.cutLoose
                        + " / " + slow.reconnects);
                line(out, "missed: slow / fast; duplicated: slow", slow.missed + " / " + slow.fastMissed + "; "
                        + slow.duplicated);
            }
        }
        Gateway g = gateway;
        if (g != null && g.pid > 0) {
            line(out, g.pids.size() > 1 ? "gateway pids / window" : "gateway pid / window",
                    (g.pids.size() > 1 ? g.pids.toString() : Long.toString(g.pid)) + " / " + f(g.windowSeconds) + " s");
            String sum = g.pids.size() > 1 ? " (sum of " + g.pids.size() + ")" : "";
            line(out, "gateway CPU in window: total (user / kernel)" + sum, f(g.cpuSeconds) + " s ("
                    + f(g.cpuUserSeconds) + " / " + f(g.cpuSystemSeconds) + " s)");
            line(out, "gateway RSS before / after connect / end / max" + sum, kib(g.rssBeforeConnectKiB) + " / "
                    + kib(g.rssAfterConnectKiB) + " / " + kib(g.rssEndKiB) + " / " + kib(g.rssMaxKiB));
            if (g.rssBytesPerConnection >= 0) {
                line(out, "gateway RSS growth per connection", f(g.rssBytesPerConnection) + " bytes");
            }
            if (g.liveHeapAfterKiB >= 0) {
                line(out, "live heap before / after (after full GC)", kib(g.liveHeapBeforeKiB) + " / "
                        + kib(g.liveHeapAfterKiB));
                line(out, "direct memory before / after", f(g.directBytesBefore / 1024) + " / "
                        + f(g.directBytesAfter / 1024) + " KiB");
                line(out, "live heap + direct per connection", f(g.liveBytesPerConnection) + " bytes");
            }
            if (g.deliveries >= 0) {
                line(out, "gateway deliveries (its /metrics) in window", f(g.deliveries) + " ("
                        + f(g.deliveriesPerSecond) + " per s)");
                line(out, "gateway CPU per delivery: total (user / kernel)", f(g.cpuMicrosPerDelivery) + " us ("
                        + f(g.userMicrosPerDelivery) + " / " + f(g.systemMicrosPerDelivery) + " us)");
            }
            line(out, "gateway /healthz ok / failed / max", g.healthzOk + " / " + g.healthzFailed + " / "
                    + f(g.healthzMax) + " ms");
        }
        if (machine != null && machine.busyCpuSeconds >= 0) {
            line(out, "machine: cores / load avg before", machine.cores + " / " + f(machine.loadAverageBefore));
            line(out, "CPU in window: all / bench / other processes", f(machine.busyCpuSeconds) + " / "
                    + f(machine.benchCpuSeconds) + " / " + f(machine.otherCpuSeconds) + " s");
            if (machine.benchProcesses > 1) {
                line(out, "load generator RSS at end (" + machine.benchProcesses + " processes)",
                        kib(machine.benchRssKiB));
            }
        }
        for (String n : notes) {
            out.println("note: " + n);
        }
    }

    private static void latency(PrintStream out, String name, Latency l) {
        line(out, name + " p50/p90/p99/p99.9/max", f(l.p50) + " / " + f(l.p90) + " / " + f(l.p99) + " / "
                + f(l.p999) + " / " + f(l.max) + " ms (" + l.count + " events)");
    }

    private static void line(PrintStream out, String name, String value) {
        out.printf(Locale.ROOT, "  %-48s %s%n", name, value);
    }

    private static String f(double v) {
        if (v < 0) {
            return "n/a";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String kib(long v) {
        return v < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", v / 1024.0);
    }
}
