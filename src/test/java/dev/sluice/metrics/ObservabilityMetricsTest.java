package dev.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.hub.LatencyHistogram;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.Scrape;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * What an operator scrapes from {@code /metrics}, checked against real traffic over real sockets:
 * latencies are histograms whose buckets add up (no summaries), fan-out is observed once per loop
 * per update (not per subscriber), responses are counted by a bounded route label and status (a
 * subscriber's 401 included), streams closed by cause, and the process figures and build info.
 */
@OnEveryIoKind
class ObservabilityMetricsTest {

    @Parameter
    IoKind io;

    @Test
    void latenciesAreHistogramsThatMoveWithRealTraffic() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).workers(1).heartbeat(Duration.ZERO))) {
            URI metrics = hub.url("/metrics");
            Scrape before = Scrape.of(metrics);
            assertThat(before.types).containsEntry("sluice_publish_latency_seconds", "histogram")
                    .containsEntry("sluice_fanout_latency_seconds", "histogram")
                    .containsEntry("sluice_replay_duration_seconds", "histogram");
            assertThat(before.text).as("no summaries: quantiles do not add up across nodes").doesNotContain("quantile=");
            assertThat(bounds(before, "sluice_fanout_latency_seconds")).containsExactly(withInf(LatencyHistogram.FANOUT_BOUNDS));
            assertThat(bounds(before, "sluice_replay_duration_seconds")).containsExactly(withInf(LatencyHistogram.REPLAY_BOUNDS));
            double[] publishBounds = new double[GatewayMetrics.PUBLISH_BUCKETS.length];
            for (int i = 0; i < publishBounds.length; i++) {
                publishBounds[i] = GatewayMetrics.PUBLISH_BUCKETS[i].toNanos() / 1e9;
            }
            assertThat(bounds(before, "sluice_publish_latency_seconds")).containsExactly(withInf(publishBounds));

            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                streams.add(hub.subscribe("topic=quotes"));
            }
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ids.add(hub.publishOk("topic", "quotes", "data", "q" + i));
            }
            for (SseStream s : streams) {
                assertThat(s.take(5)).extracting(SseEvent::data).containsExactly("q0", "q1", "q2", "q3", "q4");
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(
                    () -> Scrape.of(metrics).value("sluice_deliveries_total") - before.value("sluice_deliveries_total") == 15);
            Scrape after = Scrape.of(metrics);

            assertThat(delta(before, after, "sluice_publish_latency_seconds_count")).isEqualTo(5);
            assertThat(after.value("sluice_publish_latency_seconds_sum")).isPositive();
            // One loop, three subscribers: one observation per update, not one per delivery.
            assertThat(delta(before, after, "sluice_fanout_latency_seconds_count")).isEqualTo(5);
            assertThat(after.value("sluice_fanout_latency_seconds_sum")).isPositive();
            for (String h : List.of("sluice_publish_latency_seconds", "sluice_fanout_latency_seconds",
                    "sluice_replay_duration_seconds")) {
                assertCumulative(after, h);
            }

            // A resume replays from history: one replay observed once it is live again.
            try (SseStream resumed = hub.subscribe("topic=quotes", "Last-Event-ID", ids.get(0))) {
                assertThat(resumed.take(4)).extracting(SseEvent::data).containsExactly("q1", "q2", "q3", "q4");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(
                        () -> delta(before, Scrape.of(metrics), "sluice_replay_duration_seconds_count") == 1);
            }
            Scrape last = Scrape.of(metrics);
            assertThat(delta(before, last, "sluice_http_responses_total", "route", "publish", "status", "200")).isEqualTo(5);
            assertThat(delta(before, last, "sluice_http_responses_total", "route", "subscribe", "status", "200")).isEqualTo(4);
            assertThat(last.value("sluice_replay_duration_seconds_sum")).isPositive();
            for (SseStream s : streams) {
                s.close();
            }
        }
    }

    @Test
    void responsesAreCountedByRouteAndStatusAndStreamsByCause() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.workers(1).heartbeat(Duration.ZERO))) {
            URI metrics = hub.url("/metrics");
            Scrape before = Scrape.of(metrics);
            // A subscriber without a token, one with a forged token, a missing topic, a publish
            // without a token, a path that does not exist (its text must not become a label).
            assertThat(hub.subscribeRefused("topic=a").statusCode()).isEqualTo(401);
            assertThat(hub.subscribeRefused("topic=a", "Authorization", "Bearer not.a.token").statusCode()).isEqualTo(401);
            assertThat(hub.subscribeRefused("nothing=here", "Authorization", "Bearer " + TestHub.subscriber("*"))
                    .statusCode()).isEqualTo(400);
            assertThat(hub.publish(null, TestHub.form("topic", "a", "data", "x")).statusCode()).isEqualTo(401);
            assertThat(get(hub, "/secret-probe/admin.php?x=1").statusCode()).isEqualTo(404);
            assertThat(get(hub, "/healthz").statusCode()).isEqualTo(200);
            try (SseStream s = hub.subscribe("topic=a", "Authorization", "Bearer " + TestHub.subscriber("*"))) {
                assertThat(s.response.statusCode()).isEqualTo(200);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(
                    () -> Scrape.of(metrics).value("sluice_streams_closed_total", "cause", "client") == 1);

            Scrape after = Scrape.of(metrics);
            assertThat(delta(before, after, "sluice_http_responses_total", "route", "subscribe", "status", "401")).isEqualTo(2);
            assertThat(delta(before, after, "sluice_http_responses_total", "route", "subscribe", "status", "400")).isEqualTo(1);
            assertThat(delta(before, after, "sluice_http_responses_total", "route", "subscribe", "status", "200")).isEqualTo(1);
            assertThat(delta(before, after, "sluice_http_responses_total", "route", "publish", "status", "401")).isEqualTo(1);
            assertThat(delta(before, after, "sluice_http_responses_total", "route", "other", "status", "404")).isEqualTo(1);
            assertThat(delta(before, after, "sluice_http_responses_total", "route", "healthz", "status", "200")).isEqualTo(1);
            assertThat(after.value("sluice_http_responses_total", "route", "metrics", "status", "200")).isPositive();
            assertThat(after.all("sluice_http_responses_total")).allSatisfy(s -> {
                assertThat(s.labels().get("route")).isIn("subscribe", "publish", "preflight", "metrics", "healthz",
                        "readyz", "diagnostics", "other");
                assertThat(s.labels().get("status")).matches("[1-5][0-9][0-9]");
            });
            assertThat(after.text).doesNotContain("secret-probe");

            assertThat(after.all("sluice_streams_closed_total")).extracting(s -> s.labels().get("cause"))
                    .containsExactlyInAnyOrder("client", "slow", "token_expired", "shutdown", "drain", "limit",
                            "max_age", "error");
            assertThat(after.value("sluice_streams_closed_total", "cause", "client")).isEqualTo(1);
        }
    }

    @Test
    void processFiguresAndBuildInfo() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.workers(1))) {
            Scrape s = Scrape.of(hub.url("/metrics"));
            assertThat(s.value("process_resident_memory_bytes")).as("VmRSS").isGreaterThan(10 << 20);
            assertThat(s.value("process_files_open_files")).isGreaterThan(3);
            assertThat(s.value("process_files_max_files")).isGreaterThan(s.value("process_files_open_files"));
            assertThat(s.value("process_uptime_seconds")).isPositive();
            List<Scrape.Sample> info = s.all("sluice_build_info");
            assertThat(info).hasSize(1);
            assertThat(info.get(0).value()).isEqualTo(1);
            Map<String, String> labels = info.get(0).labels();
            assertThat(labels.get("version")).matches("\\d+\\.\\d+\\.\\d+.*");
            assertThat(labels.get("java")).isEqualTo(System.getProperty("java.runtime.version"));
            assertThat(labels.get("netty")).startsWith("4.2.");
        }
    }

    private static HttpResponse<String> get(TestHub hub, String path) throws Exception {
        return hub.http.send(HttpRequest.newBuilder(hub.url(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double delta(Scrape before, Scrape after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }

    private static List<Double> bounds(Scrape s, String histogram) {
        return s.buckets(histogram).keySet().stream()
                .map(le -> le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le)).toList();
    }

    private static Double[] withInf(double[] bounds) {
        Double[] out = new Double[bounds.length + 1];
        for (int i = 0; i < bounds.length; i++) {
            out[i] = bounds[i];
        }
        out[bounds.length] = Double.POSITIVE_INFINITY;
        return out;
    }

    /** Buckets never decrease and the +Inf bucket is the count. */
    private static void assertCumulative(Scrape s, String histogram) {
        List<Double> counts = new ArrayList<>(s.buckets(histogram).values());
        for (int i = 1; i < counts.size(); i++) {
            assertThat(counts.get(i)).as(histogram + " bucket " + i).isGreaterThanOrEqualTo(counts.get(i - 1));
        }
        assertThat(s.buckets(histogram).get("+Inf")).isEqualTo(s.value(histogram + "_count"));
    }
}
