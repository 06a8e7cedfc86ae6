package dev.sluice.demo;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import dev.sluice.hub.LatencyHistogram;
import dev.sluice.metrics.GatewayMetrics;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One sample of the gateway's own metrics for the dashboard, read from its Micrometer registry
 * (the meters {@code /metrics} shows): the cumulative counters and the gauges as they are now, and
 * every latency the gateway measures ({@code sluice_*} timers, and distributions whose name says
 * latency or seconds) as recent percentiles in milliseconds. Rates are the dashboard's differences between
 * samples, so any number of dashboards read the same registry without state here.
 */
public final class DashboardFeed implements Supplier<String> {

    private final MeterRegistry registry;
    private final GatewayMetrics metrics;

    public DashboardFeed(GatewayMetrics metrics) {
        this.metrics = metrics;
        this.registry = metrics.registry();
    }

    @Override
    public String get() {
        StringBuilder sb = new StringBuilder(1024);
        sb.append("{\"ts\":").append(System.currentTimeMillis());
        field(sb, "connections", gauge("sluice_subscribers"));
        field(sb, "published", count("sluice_events_published"));
        field(sb, "publishAccepted", count("sluice_publish_accepted"));
        field(sb, "publishRefused", count("sluice_publish_refused"));
        field(sb, "deliveries", count("sluice_deliveries"));
        field(sb, "replayed", count("sluice_replayed"));
        field(sb, "slowCuts", count("sluice_slow_disconnects"));
        field(sb, "conflated", count("sluice_conflated"));
        field(sb, "throttled", count("sluice_throttled"));
        field(sb, "streamsOpened", count("sluice_subscriptions_opened"));
        field(sb, "historyEvents", gauge("sluice_history_events"));
        field(sb, "historyBytes", gauge("sluice_history_bytes"));
        field(sb, "dispatchQueued", gauge("sluice_dispatch_queued"));
        sb.append(",\"latency\":{");
        boolean first = true;
        for (Meter meter : registry.getMeters()) {
            String name = meter.getId().getName();
            if (!name.startsWith("sluice_")) {
                continue; // the JVM's pauses are not the gateway's latency
            }
            HistogramSnapshot snapshot;
            double scaleToMillis;
            if (meter instanceof Timer timer) {
                snapshot = timer.takeSnapshot();
                scaleToMillis = 1;
            } else if (meter instanceof DistributionSummary summary
                    && (name.contains("latency") || name.contains("seconds"))) {
                snapshot = summary.takeSnapshot();
                scaleToMillis = 1000; // by Prometheus convention, in seconds
            } else {
                continue;
            }
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append('"').append(key(meter)).append("\":{\"count\":").append(snapshot.count());
            boolean timer = meter instanceof Timer;
            double max = timer ? snapshot.max(TimeUnit.MILLISECONDS) : snapshot.max() * scaleToMillis;
            double mean = timer ? snapshot.mean(TimeUnit.MILLISECONDS) : snapshot.mean() * scaleToMillis;
            number(sb.append(",\"max\":"), max);
            number(sb.append(",\"mean\":"), mean);
            for (ValueAtPercentile p : snapshot.percentileValues()) {
                double v = timer ? p.value(TimeUnit.MILLISECONDS) : p.value() * scaleToMillis;
                number(sb.append(",\"p").append(percentileLabel(p.percentile())).append("\":"), v);
            }
            CountAtBucket[] buckets = snapshot.histogramCounts();
            if (buckets.length > 0) {
                // Micrometer's bucket counts are cumulative; the dashboard wants them per bucket.
                double[] bounds = new double[buckets.length];
                long[] counts = new long[buckets.length + 1];
                double previous = 0;
                for (int i = 0; i < buckets.length; i++) {
                    bounds[i] = timer ? buckets[i].bucket(TimeUnit.MILLISECONDS) : buckets[i].bucket() * scaleToMillis;
                    counts[i] = Math.max(0, Math.round(buckets[i].count() - previous));
                    previous = buckets[i].count();
                }
                counts[buckets.length] = Math.max(0, snapshot.count() - Math.round(previous));
                buckets(sb, bounds, counts);
            }
            sb.append('}');
        }
        // The hub's own histograms (fan-out, replay): buckets only, per bucket already.
        for (var h : metrics.latencyHistograms().entrySet()) {
            LatencyHistogram.Snapshot snap = h.getValue().get();
            if (!first) {
                sb.append(',');
            }
            first = false;
            String key = h.getKey().replaceFirst("^sluice_", "").replaceFirst("_seconds$", "").replaceFirst("_latency$", "")
                    .replaceFirst("_duration$", "");
            long count = snap.count();
            sb.append('"').append(key).append("\":{\"count\":").append(count);
            number(sb.append(",\"mean\":"), count == 0 ? Double.NaN : snap.sumSeconds() * 1000 / count);
            double[] bounds = new double[snap.upperBounds().length];
            for (int i = 0; i < bounds.length; i++) {
                bounds[i] = snap.upperBounds()[i] * 1000;
            }
            buckets(sb, bounds, snap.counts());
            sb.append('}');
        }
        sb.append("}}");
        return sb.toString();
    }

    /** {@code sluice_publish_latency} as {@code publish}; tags appended as {@code name.value}. */
    private static String key(Meter meter) {
        String name = meter.getId().getName().replaceFirst("^sluice_", "").replaceFirst("_seconds$", "")
                .replaceFirst("_latency$", "");
        StringBuilder sb = new StringBuilder(name);
        for (Tag tag : meter.getId().getTags()) {
            sb.append('.').append(tag.getValue());
        }
        return sb.toString().replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    /** {@code "bounds":[ms…],"counts":[n…]}: counts per bucket, one more than bounds (the last is +Inf). */
    private static void buckets(StringBuilder sb, double[] boundsMillis, long[] counts) {
        sb.append(",\"bounds\":[");
        for (int i = 0; i < boundsMillis.length; i++) {
            number(i == 0 ? sb : sb.append(','), boundsMillis[i]);
        }
        sb.append("],\"counts\":[");
        for (int i = 0; i < counts.length; i++) {
            (i == 0 ? sb : sb.append(',')).append(counts[i]);
        }
        sb.append(']');
    }

    private static String percentileLabel(double p) {
        String s = String.format(Locale.ROOT, "%.3f", p * 100).replaceFirst("\\.?0+$", "");
        return s.replace('.', '_');
    }

    private double gauge(String name) {
        Gauge g = registry.find(name).gauge();
        return g == null ? Double.NaN : g.value();
    }

    /** A counter summed over its tags (a Micrometer counter or a function counter). */
    private double count(String name) {
        double total = 0;
        boolean found = false;
        for (Counter c : registry.find(name).counters()) {
            total += c.count();
            found = true;
        }
        for (FunctionCounter c : registry.find(name).functionCounters()) {
            total += c.count();
            found = true;
        }
        return found ? total : Double.NaN;
    }

    private static void field(StringBuilder sb, String name, double value) {
        number(sb.append(",\"").append(name).append("\":"), value);
    }

    private static void number(StringBuilder sb, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            sb.append("null");
        } else if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            sb.append((long) value);
        } else {
            sb.append(String.format(Locale.ROOT, "%.4f", value));
        }
    }
}
