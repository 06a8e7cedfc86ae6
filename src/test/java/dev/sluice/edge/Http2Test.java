package dev.sluice.edge;

import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.launchdarkly.eventsource.ConnectStrategy;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.MessageEvent;
import com.launchdarkly.eventsource.StreamEvent;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.support.TlsTrust;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * HTTP/2 with real clients: the JDK's HttpClient over TLS (ALPN h2) and in cleartext (it upgrades
 * with {@code Upgrade: h2c}), curl with prior knowledge and over TLS, and okhttp-eventsource over
 * TLS. Streams and publishes behave as on HTTP/1.1, and one connection carries many streams.
 */
@OnEveryIoKind
class Http2Test {

    @Parameter
    IoKind io;

    @TempDir
    Path dir;

    @Test
    void jdkClientOverTlsCarriesManyStreamsAndPublishesOnOneConnection() throws Exception {
        try (TestHub hub = TestHub.startTls(io, b -> b.anonymous(true))) {
            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                streams.add(hub.subscribe("topic=" + q(i % 2 == 0 ? "https://example.com/a" : "https://example.com/{x}")));
            }
            for (SseStream s : streams) {
                assertThat(s.response.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(s.header("content-type")).isEqualTo("text/event-stream");
            }
            HttpResponse<String> published = hub.publish(TestHub.publisher(), TestHub.form("topic", "https://example.com/a",
                    "data", "line one\nline two", "type", "note"));
            assertThat(published.statusCode()).isEqualTo(200);
            assertThat(published.version()).isEqualTo(HttpClient.Version.HTTP_2);
            for (SseStream s : streams) {
                SseEvent e = s.next();
                assertThat(e.id()).isEqualTo(published.body());
                assertThat(e.data()).isEqualTo("line one\nline two");
                assertThat(e.type()).isEqualTo("note");
                s.close();
            }
            // Refusals are answered on their stream as on HTTP/1.1.
            HttpResponse<String> refused = hub.subscribeRefused("nothing=here");
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(refused.body()).contains("Missing 'topic'");
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 0);
        }
    }

    @Test
    void jdkClientUpgradesCleartextToH2c() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true))) {
            HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            // The JDK client's first request to a cleartext origin carries Upgrade: h2c; this one is
            // the stream, which then runs as HTTP/2 stream 1.
            HttpResponse<java.io.InputStream> res = h2c.send(HttpRequest.newBuilder(
                    URI.create(hub.hubUrl + "?topic=up")).header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.version()).isEqualTo(HttpClient.Version.HTTP_2);
            try (SseStream s = new SseStream(res)) {
                Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
                HttpResponse<String> published = h2c.send(HttpRequest.newBuilder(hub.hubUrl)
                                .header("Authorization", "Bearer " + TestHub.publisher())
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "up", "data", "über")))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(published.statusCode()).isEqualTo(200);
                assertThat(published.version()).isEqualTo(HttpClient.Version.HTTP_2);
                SseEvent e = s.next();
                assertThat(e.id()).isEqualTo(published.body());
                assertThat(e.data()).isEqualTo("über");
            }
        }
    }

    @Test
    void curlWithPriorKnowledgeInCleartext() throws Exception {
        requireCurl();
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true))) {
            assertThat(curlOnce("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                    hub.url("/healthz").toString())).isEqualTo("2 200");
            assertThat(curlOnce("--http2-prior-knowledge", hub.url("/nowhere").toString())).startsWith("Nothing at /nowhere");
            streamWithCurl(hub, hub.hubUrl + "?topic=pk", "pk", "--http2-prior-knowledge");
        }
    }

    @Test
    void curlOverTlsNegotiatesH2AndTrustsTheSelfSignedCertificateWhenTold() throws Exception {
        requireCurl();
        try (TestHub hub = TestHub.startTls(io, b -> b.anonymous(true))) {
            Path ca = TlsTrust.pemFile(hub.certificate(), dir);
            assertThat(curlOnce("--http2", "--cacert", ca.toString(), "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                    hub.url("/healthz").toString())).isEqualTo("2 200");
            // HTTP/1.1 over TLS still works for clients that do not offer h2.
            assertThat(curlOnce("--http1.1", "--cacert", ca.toString(), "-o", "/dev/null", "-w", "%{http_version}",
                    hub.url("/healthz").toString())).isEqualTo("1.1");
            // Not trusted unless told: curl refuses the certificate (exit 60).
            Process untrusted = new ProcessBuilder("curl", "-sS", "-m", "10", hub.url("/healthz").toString())
                    .redirectErrorStream(true).start();
            assertThat(untrusted.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(untrusted.exitValue()).isEqualTo(60);
            streamWithCurl(hub, hub.hubUrl + "?topic=tls", "tls", "--http2", "--cacert", ca.toString());
        }
    }

    @Test
    void okhttpEventSourcesShareOneH2ConnectionOverTls() throws Exception {
        try (TestHub hub = TestHub.startTls(io, b -> b.anonymous(true).heartbeat(Duration.ofSeconds(1)))) {
            Set<Protocol> protocols = ConcurrentHashMap.newKeySet();
            OkHttpClient client = new OkHttpClient.Builder()
                    .sslSocketFactory(hub.sslContext().getSocketFactory(), TlsTrust.trustManager(hub.certificate()))
                    .readTimeout(Duration.ofSeconds(30))
                    .addNetworkInterceptor(chain -> {
                        okhttp3.Response r = chain.proceed(chain.request());
                        protocols.add(r.protocol());
                        return r;
                    })
                    .build();
            BlockingQueue<MessageEvent> got = new LinkedBlockingQueue<>();
            List<EventSource> sources = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    EventSource es = new EventSource.Builder(ConnectStrategy.http(URI.create(hub.hubUrl + "?topic=ok"))
                            .httpClient(client)).build();
                    sources.add(es);
                    es.start();
                    Thread.ofVirtual().start(() -> {
                        try {
                            for (StreamEvent e : es.anyEvents()) {
                                if (e instanceof MessageEvent m) {
                                    got.add(m);
                                }
                            }
                        } catch (RuntimeException closed) {
                            // the source was closed
                        }
                    });
                }
                Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 3);
                String id = hub.publishOk("topic", "ok", "data", "hello\nworld", "type", "greeting");
                for (int i = 0; i < 3; i++) {
                    MessageEvent m = got.poll(10, TimeUnit.SECONDS);
                    assertThat(m).isNotNull();
                    assertThat(m.getLastEventId()).isEqualTo(id);
                    assertThat(m.getEventName()).isEqualTo("greeting");
                    assertThat(m.getData()).isEqualTo("hello\nworld");
                }
                assertThat(protocols).containsExactly(Protocol.HTTP_2);
                assertThat(client.connectionPool().connectionCount()).isEqualTo(1);
            } finally {
                sources.forEach(EventSource::close);
                client.dispatcher().executorService().shutdown();
                client.connectionPool().evictAll();
            }
        }
    }

    /** Streams with curl, publishes, and checks curl printed the event; curl is then stopped. */
    private static void streamWithCurl(TestHub hub, String url, String topic, String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sSN", "-m", "30"));
        cmd.addAll(List.of(options));
        cmd.add(url);
        Process curl = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(curl.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
            } catch (java.io.IOException ignored) {
                // curl was stopped
            }
        });
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> hub.gateway.hub().subscribers() == 1);
            String id = hub.publishOk("topic", topic, "data", "from " + topic);
            List<String> seen = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!seen.contains("data: from " + topic) && System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    seen.add(line);
                }
            }
            assertThat(seen).startsWith(":", "retry: 2000").contains("id: " + id, "data: from " + topic);
        } finally {
            curl.destroy();
            curl.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String curlOnce(String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-m", "20"));
        cmd.addAll(List.of(options));
        Process curl = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as("curl %s: %s", cmd, out).isZero();
        return out.strip();
    }

    /** Skipped where curl (with HTTP/2) is missing, except in CI, where that is a failure. */
    private static void requireCurl() {
        if ("true".equals(System.getenv("CI"))) {
            assertThat(curlSpeaksHttp2()).as("curl with HTTP/2 (nghttp2) on PATH").isTrue();
        }
        assumeTrue(curlSpeaksHttp2(), "curl with HTTP/2 support is not installed");
    }

    private static boolean curlSpeaksHttp2() {
        try {
            Process p = new ProcessBuilder("curl", "-V").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 && out.contains("HTTP2");
        } catch (java.io.IOException | InterruptedException e) {
            return false;
        }
    }
}
