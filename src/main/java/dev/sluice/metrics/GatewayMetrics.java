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
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The gateway's Prometheus metrics. Request-path counters are Micrometer meters; the hub's
 * hot-path counters are plain loop-confined longs read by function counters at scrape time, so
 * delivering an event never touches a shared atomic.
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
                .description("Time from a valid publish request to the transport's acknowledgement")
                .publishPercentiles(0.5, 0.99).register(registry);

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
                            + " token_expired, shutdown, error").register(registry);
        }
        FunctionCounter.builder("sluice_dispatch_refused", stats, HubStats::dispatchRefused)
                .description("Events a full event-loop inbox refused (its subscribers read them from history)")
                .register(registry);
        FunctionCounter.builder("sluice_conflated", stats, HubStats::conflated)
                .description("Pending updates replaced by a newer one for a subscriber that was behind").register(registry);
        FunctionCounter.builder("sluice_throttled", stats, HubStats::throttled)
                .description("Live updates replaced by a newer one inside a throttle interval").register(registry);
        FunctionCounter.builder("sluice_dispatch_overflows", stats, HubStats::overflows)
                .description("Times an event loop fell behind and its subscribers caught up from history").register(registry);
        FunctionCounter.builder("sluice_heartbeats", stats, HubStats::heartbeats).description("Heartbeat comments sent")
                .register(registry);
        FunctionCounter.builder("sluice_replay_gaps", stats, HubStats::replayGaps)
                .description("Events a resuming subscriber could not get because history had dropped them")
                .register(registry);

        // Encoded events live in the pooled allocator; socket reads use Netty's default allocator.
        Gauge.builder("sluice_netty_pooled_direct_used_bytes", PooledByteBufAllocator.DEFAULT,
                a -> a.metric().usedDirectMemory()).description("Direct memory held by the pooled allocator's arenas")
                .register(registry);
        Gauge.builder("sluice_netty_pooled_direct_pinned_bytes", PooledByteBufAllocator.DEFAULT,
                a -> a.pinnedDirectMemory()).description("Direct memory of the pooled allocator in live buffers")
                .register(registry);
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

    /** The registry every meter above is in, for readers other than the Prometheus scrape. */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
