package dev.sluice.metrics;

import dev.sluice.hub.CloseCause;
import dev.sluice.hub.Hub;
import dev.sluice.hub.HubStats;
import dev.sluice.transport.Transport;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.PooledByteBufAllocator;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import dev.sluice.hub.LatencyHistogram;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The gateway's Prometheus metrics. Request-path counters are Micrometer meters; the hub's
 * hot-path counters are plain loop-confined longs read by function counters at scrape time, so
 * delivering an event never touches a shared atomic.
 *
 * <p>Latencies are Prometheus histograms (cumulative {@code _bucket} series with fixed bounds),
 * never summaries: buckets from several nodes add up, so {@code histogram_quantile} over
 * {@code sum by (le)} gives a cluster-wide percentile, which averaging per-node percentiles cannot.
 */
public final class GatewayMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public final Counter published;
    public final Counter publishFailures;
    public final Counter publishRefused;
    public final Counter subscriptions;
    public final Counter refusedSubscribers;
    public final Timer publishLatency;
    public final Counter idleClosed;
    private final ConcurrentHashMap<Integer, Counter> responses = new ConcurrentHashMap<>();
    private final java.util.Map<String, Supplier<LatencyHistogram.Snapshot>> histograms =
            new java.util.LinkedHashMap<>();

    /**
     * Publish latency buckets, request in to 200 sent: from 0.5 ms (the memory transport) through
     * the few milliseconds of a Redis or NATS round trip and an fsync'ed file commit, to 5 s (an
     * engine struggling, past which the publish times out anyway).
     */
    static final Duration[] PUBLISH_BUCKETS = {
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
        Duration.ofSeconds(5)};
    public GatewayMetrics(Hub hub, Transport transport) {
        published = Counter.builder("sluice_publish_accepted").description("Updates acknowledged to publishers")
                .register(registry);
        publishFailures = Counter.builder("sluice_publish_failed")
                .description("Publishes the transport could not store (answered 503)").register(registry);
        publishRefused = Counter.builder("sluice_publish_refused")
                .description("Publishes refused for bad input or authorisation (4xx)").register(registry);
        subscriptions = Counter.builder("sluice_subscriptions_opened").description("SSE streams opened")
                .register(registry);
        refusedSubscribers = Counter.builder("sluice_subscriptions_refused_limit")
                .description("Subscriptions refused because of --max-subscribers").register(registry);
        publishLatency = Timer.builder("sluice_publish_latency")
                .description("Time from a publish request's arrival to its 200 answer (the transport acknowledged it)")
                .serviceLevelObjectives(PUBLISH_BUCKETS)
                .minimumExpectedValue(PUBLISH_BUCKETS[0]).maximumExpectedValue(PUBLISH_BUCKETS[PUBLISH_BUCKETS.length - 1])
                .register(registry);

        idleClosed = Counter.builder("sluice_connections_closed_idle")
                .description("Connections that were not streams closed for sending nothing (--idle-timeout, or"
                        + " --header-timeout before their first byte)").register(registry);

        HubStats stats = hub.stats();
        Gauge.builder("sluice_subscribers", stats, HubStats::subscribers).description("Connected subscribers")
                .register(registry);
        Gauge.builder("sluice_history_events", stats, HubStats::historyCount).description("Events kept for resumes")
                .register(registry);
        Gauge.builder("sluice_history_bytes", stats, HubStats::historyBytes).description("Bytes of events kept for resumes")
                .register(registry);
        Gauge.builder("sluice_dispatch_queued", stats, HubStats::queuedDispatches)
                .description("Events waiting in event-loop inboxes").register(registry);
        Gauge.builder("sluice_transport_ready", transport, t -> t.isReady() ? 1 : 0)
                .description("1 when the transport accepts publishes").register(registry);
        transport.bindMetrics(registry);
        FunctionCounter.builder("sluice_events_published", stats, HubStats::published)
                .description("Events taken into the local log").register(registry);
        FunctionCounter.builder("sluice_deliveries", stats, HubStats::deliveries)
                .description("Events written to subscribers (live)").register(registry);
        FunctionCounter.builder("sluice_replayed", stats, HubStats::replayed)
                .description("Events written to subscribers from history (resumes)").register(registry);
        FunctionCounter.builder("sluice_slow_disconnects", stats, HubStats::slowDisconnects)
                .description("Subscribers cut loose for exceeding their byte budget (also in sluice_streams_closed)")
                .register(registry);
        for (CloseCause cause : CloseCause.values()) {
            FunctionCounter.builder("sluice_streams_closed", stats, st -> st.closed(cause))
                    .tag("cause", cause.label())
                    .description("SSE streams ended, by cause: client (it went away), slow (over its budget),"
                            + " token_expired, shutdown, drain (ended in waves by a draining gateway), limit, max_age (--max-connection-age),"
                            + " error").register(registry);
        }
        histogram("sluice_fanout_latency_seconds", "Time from the hub handing an update to the event loops to each"
                + " loop's last write of it (one observation per loop per update)", stats::fanoutLatency);
        histogram("sluice_replay_duration_seconds", "Time a resuming stream took to replay history and catch up"
                + " with live updates", stats::replayDuration);
        FunctionCounter.builder("sluice_dispatch_refused", stats, HubStats::dispatchRefused)
                .description("Events a full event-loop inbox refused (the loop then reads them from history)")
                .register(registry);
        FunctionCounter.builder("sluice_conflated", stats, HubStats::conflated)
                .description("Pending updates replaced by a newer one for a subscriber that was behind").register(registry);
        FunctionCounter.builder("sluice_throttled", stats, HubStats::throttled)
                .description("Live updates replaced by a newer one inside a throttle interval").register(registry);
        FunctionCounter.builder("sluice_dispatch_overflows", stats, HubStats::overflows)
                .description("Times an event loop fell behind and caught up from history").register(registry);
        FunctionCounter.builder("sluice_dispatch_gaps", stats, HubStats::dispatchGaps)
                .description("Updates history dropped before an event loop catching up after an overflow could send them;"
                        + " that loop's subscribers miss them").register(registry);
        FunctionCounter.builder("sluice_heartbeats", stats, HubStats::heartbeats).description("Heartbeat comments sent")
                .register(registry);
        FunctionCounter.builder("sluice_replay_gaps", stats, HubStats::replayGaps)
                .description("Updates history had dropped before a replaying stream read that far, counted per stream"
                        + " whether or not they were for it")
                .register(registry);

        // Encoded events live in the pooled allocator; socket reads use Netty's default allocator.
        Gauge.builder("sluice_netty_pooled_direct_used_bytes", PooledByteBufAllocator.DEFAULT,
                a -> a.metric().usedDirectMemory()).description("Direct memory held by the pooled allocator's arenas")
                .register(registry);
        Gauge.builder("sluice_netty_pooled_direct_pinned_bytes", PooledByteBufAllocator.DEFAULT,
                a -> a.pinnedDirectMemory()).description("Direct memory of the pooled allocator in live buffers")
                .register(registry);
        Gauge.builder("process_resident_memory_bytes", ProcessFigures::residentBytes)
                .description("Resident memory of the process (VmRSS of /proc/self/status)").register(registry);
        // An info metric (exported as sluice_build_info{...} 1): a gauge of that name would lose its
        // _info suffix to the Prometheus naming rules.
        io.prometheus.metrics.model.snapshots.InfoSnapshot buildInfo = io.prometheus.metrics.model.snapshots.InfoSnapshot
                .builder().name("sluice_build").help("Versions of this gateway and what it runs on (always 1)")
                .dataPoint(io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot.builder()
                        .labels(io.prometheus.metrics.model.snapshots.Labels.of(
                                "version", ProcessFigures.version(),
                                "java", System.getProperty("java.runtime.version", "unknown"),
                                "java_vendor", System.getProperty("java.vendor", "unknown"),
                                "netty", ProcessFigures.nettyVersion()))
                        .build())
                .build();
        registry.getPrometheusRegistry().register(new Collector() {
            @Override
            public MetricSnapshot collect() {
                return buildInfo;
            }

            @Override
            public String getPrometheusName() {
                return "sluice_build_info";
            }
        });
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        gc.bindTo(registry);
    }

    /**
     * The counter of requests admission control turned away for {@code reason}
     * ({@code sluice_admission_refused_total{reason=...}}); the same counter for the same reason.
     */
    public Counter admissionRefused(String reason) {
        return Counter.builder("sluice_admission_refused").tag("reason", reason)
                .description("Requests refused before reaching the hub, by reason").register(registry);
    }

    /**
     * The configured {@code --max-subscribers} as the gauge {@code sluice_subscribers_limit}, so
     * an alert can compare {@code sluice_subscribers} with it.
     */
    public void subscriberLimit(int maxSubscribers) {
        Gauge.builder("sluice_subscribers_limit", () -> maxSubscribers)
                .description("Most concurrent subscribers (--max-subscribers); more get 503").register(registry);
    }

    /**
     * Counts one HTTP response ({@code sluice_http_responses_total{route,status}}). Both labels come
     * from fixed sets (the routes, the statuses the gateway answers with), so the series are bounded.
     */
    public void response(HttpRoute route, int status) {
        responses.computeIfAbsent(route.ordinal() * 1000 + status, k -> Counter.builder("sluice_http_responses")
                .description("HTTP responses, by route and status").tag("route", route.label())
                .tag("status", Integer.toString(status)).register(registry)).increment();
    }

    /** A Prometheus histogram read from the hub's loop-confined buckets at scrape time. */
    private void histogram(String name, String help, Supplier<LatencyHistogram.Snapshot> source) {
        histograms.put(name, source);
        registry.getPrometheusRegistry().register(new Collector() {
            @Override
            public MetricSnapshot collect() {
                LatencyHistogram.Snapshot s = source.get();
                double[] bounds = java.util.Arrays.copyOf(s.upperBounds(), s.upperBounds().length + 1);
                bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
                return HistogramSnapshot.builder().name(name).help(help)
                        .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                                .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, s.counts()))
                                .sum(s.sumSeconds()).build())
                        .build();
            }

            @Override
            public String getPrometheusName() {
                return name;
            }
        });
    }

    /** The registry of the Micrometer meters above, for readers other than the Prometheus scrape. */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    /**
     * The hub's latency histograms by metric name ({@code sluice_fanout_latency_seconds}, …), read
     * as the scrape reads them (racily, non-cumulative buckets).
     */
    public java.util.Map<String, Supplier<LatencyHistogram.Snapshot>> latencyHistograms() {
        return java.util.Collections.unmodifiableMap(histograms);
    }

    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    /** The active subscriptions' figures (--subscriptions). */
    public void bindSubscriptions(java.util.function.IntSupplier tracked, java.util.function.LongSupplier untracked,
                                  java.util.function.LongSupplier expired) {
        Gauge.builder("sluice_active_subscriptions", tracked, t -> t.getAsInt())
                .description("Active subscriptions of the whole cluster this node lists (--subscriptions)")
                .register(registry);
        FunctionCounter.builder("sluice_active_subscriptions_untracked", untracked, u -> u.getAsLong())
                .description("Subscriptions not listed because --subscriptions-max were tracked already")
                .register(registry);
        FunctionCounter.builder("sluice_active_subscriptions_expired", expired, e -> e.getAsLong())
                .description("Subscriptions ended because their node stopped renewing its lease").register(registry);
    }
}
