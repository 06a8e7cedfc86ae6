package dev.sluice.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The gateways of a run ({@code --targets}), observed together: CPU time and resident memory
 * summed over their processes (each process once, however many targets it serves), their
 * {@code /metrics} counters summed over targets, {@code /healthz} asked of each. A single gateway
 * is a group of one.
 */
final class GatewayGroup {

    private final List<GatewayProbe> probes = new ArrayList<>();
    private final List<GatewayProbe> processes = new ArrayList<>();
    private final List<Long> pids;

    /** Looks up the processes to observe; says in {@code notes} which could not be found. */
    GatewayGroup(BenchOptions options, List<String> notes) {
        Set<Long> distinct = new LinkedHashSet<>();
        List<URI> targets = options.targets();
        for (int j = 0; j < targets.size(); j++) {
            URI target = targets.get(j);
            long given = options.gatewayPid(j);
            int port = target.getPort() < 0 ? 80 : target.getPort();
            long pid = given == 0 ? GatewayProbe.findListener(port) : given;
            if (given == 0 && pid < 0) {
                notes.add("no process of this user listens on port " + port
                        + "; gateway CPU and memory not measured for it (give --gateway-pid)");
            }
            GatewayProbe probe = new GatewayProbe(pid, target);
            probes.add(probe);
            if (pid > 0 && distinct.add(pid)) {
                processes.add(probe);
            }
        }
        pids = List.copyOf(distinct);
    }

    /** The distinct gateway processes observed. */
    List<Long> pids() {
        return pids;
    }

    /** The first observed process, or -1. */
    long firstPid() {
        return pids.isEmpty() ? -1 : pids.get(0);
    }

    /** Targets that do not answer {@code /healthz}, or an empty list. */
    List<URI> unhealthy() {
        List<URI> out = new ArrayList<>();
        for (GatewayProbe p : probes) {
            if (p.healthz() < 0) {
                out.add(p.base());
            }
        }
        return out;
    }

    /** CPU seconds of all gateway processes, or -1 when none was observed or a reading failed. */
    double cpuSeconds() {
        if (processes.isEmpty()) {
            return -1;
        }
        double sum = 0;
        for (GatewayProbe p : processes) {
            double v = p.cpuSeconds();
            if (v < 0) {
                return -1;
            }
            sum += v;
        }
        return sum;
    }

    /**
     * {user, system} CPU seconds summed over all gateway processes, or null when none was
     * observed or a reading failed.
     */
    double[] cpuTimes() {
        if (processes.isEmpty()) {
            return null;
        }
        double[] sum = new double[2];
        for (GatewayProbe p : processes) {
            double[] v = p.cpuTimes();
            if (v == null) {
                return null;
            }
            sum[0] += v[0];
            sum[1] += v[1];
        }
        return sum;
    }

    /** Resident memory of all gateway processes in KiB, or -1. */
    long rssKiB() {
        if (processes.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (GatewayProbe p : processes) {
            long v = p.rssKiB();
            if (v < 0) {
                return -1;
            }
            sum += v;
        }
        return sum;
    }

    /** Live heap after a full GC, summed over the processes, in KiB, or -1. */
    long liveHeapKiB() {
        if (processes.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (GatewayProbe p : processes) {
            long v = p.liveHeapKiB();
            if (v < 0) {
                return -1;
            }
            sum += v;
        }
        return sum;
    }

    /**
     * Every target's Prometheus text (an entry is null when that target did not answer), asked of
     * all targets at once, so that a slow one does not shift when the others are read.
     */
    List<String> metrics() {
        return eachAtOnce(GatewayProbe::metrics);
    }

    private <T> List<T> eachAtOnce(java.util.function.Function<GatewayProbe, T> reading) {
        List<java.util.concurrent.CompletableFuture<T>> pending = new ArrayList<>();
        for (GatewayProbe p : probes) {
            var f = new java.util.concurrent.CompletableFuture<T>();
            Thread.ofVirtual().start(() -> {
                try {
                    f.complete(reading.apply(p));
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
            pending.add(f);
        }
        List<T> out = new ArrayList<>();
        for (var f : pending) {
            // Each reading has its own timeout (2 s for /healthz, 5 s for /metrics); this bounds the rest.
            out.add(f.completeOnTimeout(null, 30, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> null).join());
        }
        return out;
    }

    /** One metric summed over all targets' texts, or -1 when a text or the metric is missing. */
    static double metric(List<String> texts, String name, String labelPart) {
        double sum = 0;
        for (String t : texts) {
            double v = GatewayProbe.metric(t, name, labelPart);
            if (v < 0) {
                return -1;
            }
            sum += v;
        }
        return sum;
    }

    /** Asks every target's {@code /healthz} once: the milliseconds each took, -1 for no answer. */
    double[] healthz() {
        List<Double> each = eachAtOnce(GatewayProbe::healthz);
        double[] out = new double[each.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = each.get(i) == null ? -1 : each.get(i);
        }
        return out;
    }
}
