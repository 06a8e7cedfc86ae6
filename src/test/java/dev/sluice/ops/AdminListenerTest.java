package dev.sluice.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.support.Scrape;
import dev.sluice.support.TestHub;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin listener ({@code --admin-listen}) over real sockets: it serves metrics, health and, with
 * {@code --diagnostics}, thread dumps and flight recordings; the public port serves none of the
 * diagnostics, and with {@code --no-metrics-on-main} no metrics either.
 */
class AdminListenerTest {

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static InetSocketAddress loopback() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    private URI admin(TestHub hub, String path) {
        return URI.create("http://127.0.0.1:" + hub.gateway.adminAddress().getPort() + path);
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesMetricsHealthAndDiagnosticsApartFromThePublicPort() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.adminListen(loopback()).metricsOnMain(false).diagnostics(true)
                .maxRecording(Duration.ofSeconds(10)))) {
            assertThat(hub.gateway.adminAddress().getPort()).isNotEqualTo(hub.gateway.port());
            hub.publishOk("topic", "a", "data", "x");

            Scrape metrics = Scrape.of(admin(hub, "/metrics"));
            assertThat(metrics.value("sluice_publish_accepted_total")).isEqualTo(1);
            assertThat(metrics.value("sluice_http_responses_total", "route", "publish", "status", "200")).isEqualTo(1);
            assertThat(get(admin(hub, "/healthz")).statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(admin(hub, "/readyz"));
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).startsWith("ready (memory");

            // The public port: no metrics (--no-metrics-on-main), no diagnostics; health stays.
            HttpResponse<String> publicMetrics = get(hub.url("/metrics"));
            assertThat(publicMetrics.statusCode()).isEqualTo(404);
            assertThat(publicMetrics.body()).contains("admin listener").doesNotContain("sluice_");
            assertThat(get(hub.url("/debug/threads")).statusCode()).isEqualTo(404);
            assertThat(get(hub.url("/debug/jfr?seconds=1")).statusCode()).isEqualTo(404);
            assertThat(get(hub.url("/readyz")).statusCode()).isEqualTo(200);
            // The admin port is no hub.
            assertThat(get(admin(hub, "/.well-known/mercure?topic=a")).statusCode()).isEqualTo(404);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(admin(hub, "/metrics"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).hasValue("GET");

            HttpResponse<String> threads = get(admin(hub, "/debug/threads"));
            assertThat(threads.statusCode()).isEqualTo(200);
            assertThat(threads.body()).contains("Full thread dump").contains("\"sluice-diagnostics\"")
                    .contains("java.lang.Thread.State");

            Scrape after = Scrape.of(admin(hub, "/metrics"));
            assertThat(after.value("sluice_http_responses_total", "route", "diagnostics", "status", "200")).isEqualTo(1);
            assertThat(after.value("sluice_http_responses_total", "route", "metrics", "status", "404")).isEqualTo(1);
        }
    }

    @Test
    void aFlightRecordingIsAFileThatParsesOneAtATime(@TempDir Path dir) throws Exception {
        try (TestHub hub = TestHub.start(b -> b.adminListen(loopback()).diagnostics(true)
                .maxRecording(Duration.ofSeconds(10)))) {
            for (String bad : new String[] {"", "?seconds=0", "?seconds=11", "?seconds=soon", "?seconds=-1"}) {
                HttpResponse<String> res = get(admin(hub, "/debug/jfr" + bad));
                assertThat(res.statusCode()).as(bad).isEqualTo(400);
                assertThat(res.body()).as(bad).contains("1 to 10").contains("--max-recording");
            }
            Path file = dir.resolve("download.jfr");
            CompletableFuture<HttpResponse<Path>> recording = http.sendAsync(
                    HttpRequest.newBuilder(admin(hub, "/debug/jfr?seconds=2")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofFile(file));
            // Only one at a time: a second request while the first records is refused at once.
            HttpResponse<String> second = null;
            for (int i = 0; i < 100 && (second == null || second.statusCode() != 409) && !recording.isDone(); i++) {
                Thread.sleep(20);
                second = get(admin(hub, "/debug/jfr?seconds=1"));
            }
            assertThat(second).isNotNull();
            assertThat(second.statusCode()).isEqualTo(409);
            assertThat(second.body()).contains("already running");
            // Meanwhile the gateway works, and thread dumps are not held up by the recording.
            hub.publishOk("topic", "a", "data", "during");
            assertThat(get(admin(hub, "/debug/threads")).statusCode()).isEqualTo(200);

            HttpResponse<Path> res = recording.get();
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
            assertThat(res.headers().firstValue("Content-Disposition").orElseThrow())
                    .matches("attachment; filename=\"sluice-\\d{8}-\\d{6}\\.jfr\"");
            assertThat(Files.size(file)).isPositive();
            Set<String> types = new HashSet<>();
            long events = 0;
            try (RecordingFile jfr = new RecordingFile(file)) {
                while (jfr.hasMoreEvents()) {
                    RecordedEvent e = jfr.readEvent();
                    types.add(e.getEventType().getName());
                    events++;
                }
            }
            assertThat(events).isGreaterThan(10);
            assertThat(types).contains("jdk.CPULoad");
            // The next recording may start now.
            assertThat(get(admin(hub, "/debug/jfr?seconds=0")).statusCode()).isEqualTo(400);
        }
    }

    @Test
    void diagnosticsAreOffUnlessAskedFor() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.adminListen(loopback()))) {
            assertThat(get(admin(hub, "/debug/threads")).statusCode()).isEqualTo(404);
            HttpResponse<String> jfr = get(admin(hub, "/debug/jfr?seconds=1"));
            assertThat(jfr.statusCode()).isEqualTo(404);
            assertThat(jfr.body()).contains("--diagnostics");
            // Metrics stay on the public port unless --no-metrics-on-main.
            assertThat(get(hub.url("/metrics")).statusCode()).isEqualTo(200);
            assertThat(get(admin(hub, "/metrics")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void optionsThatNeedTheAdminListenerSaySo() {
        assertThatThrownBy(() -> Config.builder().diagnostics(true).build()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--diagnostics").hasMessageContaining("--admin-listen");
        assertThatThrownBy(() -> Config.builder().metricsOnMain(false).build()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--no-metrics-on-main").hasMessageContaining("--admin-listen");
        assertThatThrownBy(() -> Config.builder().adminListen(new InetSocketAddress(8080)).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--admin-listen");
        assertThatThrownBy(() -> Config.builder().adminListen(loopback()).diagnostics(true)
                .maxRecording(Duration.ofHours(2)).build()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--max-recording");
        assertThatThrownBy(() -> Config.builder().logFormat("xml").build()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--log-format");
    }
}
