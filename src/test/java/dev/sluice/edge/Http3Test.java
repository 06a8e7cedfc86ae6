package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Gateway;
import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.support.H3Client;
import dev.sluice.support.TestHub;
import io.netty.handler.codec.http3.Http3ErrorCode;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/3 as a client sees it, over real UDP with Netty's HTTP/3 client: the TCP listener
 * advertises it, every route answers as on HTTP/2 (subscribe with private updates and resume,
 * publish, health), a stream whose reader stops is budgeted and reset alone while the connection
 * and its other streams go on, a stream the hub ends gets its hint and a FIN, and new QUIC
 * connections get a rotated certificate.
 */
class Http3Test {

    @TempDir
    Path dir;

    @Test
    void theTlsPortAdvertisesHttp3AndEveryRouteAnswersOverIt() throws Exception {
        try (TestHub hub = TestHub.startTls(b -> { });
             H3Client client = H3Client.connect(hub.gateway.port(), hub.certificate())) {
            int port = hub.gateway.port();
            assertThat(hub.gateway.http3Address().getPort()).isEqualTo(port);
            assertThat(hub.gateway.describeHttp3()).contains("UDP port " + port);

            // TCP (HTTP/2 here) answers carry Alt-Svc: plain answers and SSE heads alike.
            HttpResponse<String> health = hub.http.send(HttpRequest.newBuilder(hub.url("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.headers().firstValue("alt-svc")).hasValue("h3=\":" + port + "\"; ma=86400");
            var sse = hub.http.send(HttpRequest.newBuilder(URI.create(hub.hubUrl + "?topic=x")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(sse.headers().firstValue("alt-svc")).hasValue("h3=\":" + port + "\"; ma=86400");
            sse.body().close();
            // ... and over HTTP/1.1 with TLS, whose SSE head is written without the HTTP codec.
            var http1 = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
                    .sslContext(hub.sslContext()).build();
            var sse1 = http1.send(HttpRequest.newBuilder(URI.create(hub.hubUrl + "?topic=x")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(sse1.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_1_1);
            assertThat(sse1.headers().firstValue("alt-svc")).hasValue("h3=\":" + port + "\"; ma=86400");
            sse1.body().close();

            H3Client.Stream healthz = client.get("/healthz");
            assertThat(healthz.status.get(10, TimeUnit.SECONDS)).isEqualTo("200");
            assertThat(healthz.ended.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(healthz.text()).isEqualTo(health.body());
            assertThat(healthz.headers).doesNotContainKey("alt-svc");

            // Subscribers over HTTP/3: one allowed to read /books/1's private updates, one whose token
            // is for another topic (it reads the public ones only).
            String books = TestHub.q("/books/{id}");
            H3Client.Stream reader = client.get("/.well-known/mercure?topic=" + books,
                    "authorization", "Bearer " + TestHub.subscriber("/books/1"));
            H3Client.Stream outsider = client.get("/.well-known/mercure?topic=" + books,
                    "authorization", "Bearer " + TestHub.subscriber("/other"));
            assertThat(reader.status.get(10, TimeUnit.SECONDS)).isEqualTo("200");
            assertThat(reader.headers.get("content-type")).isEqualTo("text/event-stream");
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 2);

            // Publishes over HTTP/3 (the form, a bearer token) and over TCP reach both kinds.
            H3Client.Stream published = client.postForm("/.well-known/mercure",
                    TestHub.form("topic", "/books/1", "data", "public over h3"),
                    "authorization", "Bearer " + TestHub.publisher());
            assertThat(published.status.get(10, TimeUnit.SECONDS)).isEqualTo("200");
            published.ended.get(10, TimeUnit.SECONDS);
            String publicId = published.text();
            assertThat(publicId).startsWith("urn:uuid:");
            String privateId = hub.publishOk("topic", "/books/1", "data", "private", "private", "on");
            String refused = client.postForm("/.well-known/mercure", TestHub.form("topic", "/books/1", "data", "x"))
                    .status.get(10, TimeUnit.SECONDS);
            assertThat(refused).isEqualTo("401");

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reader.text().contains("id: " + privateId));
            assertThat(reader.text()).contains("id: " + publicId + "\ndata: public over h3\n\n")
                    .contains("id: " + privateId + "\ndata: private\n\n");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> outsider.text().contains("id: " + publicId));
            String after = hub.publishOk("topic", "/books/2", "data", "later");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> outsider.text().contains("id: " + after));
            assertThat(outsider.text()).doesNotContain(privateId);

            // Resuming over HTTP/3 with Last-Event-ID replays what came after.
            H3Client.Stream resumed = client.get("/.well-known/mercure?topic=" + books,
                    "authorization", "Bearer " + TestHub.subscriber("/books/1"), "last-event-id", publicId);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> resumed.text().contains("id: " + after));
            assertThat(resumed.headers.get("last-event-id")).isEqualTo(publicId);
            assertThat(resumed.text()).contains("id: " + privateId).doesNotContain("id: " + publicId + "\n");
            assertThat(client.connection.isActive()).isTrue();
        }
    }

    @Test
    void aStalledStreamIsCutAloneAndResetWhileItsConnectionGoesOn() throws Exception {
        try (TestHub hub = TestHub.startTls(b -> b.anonymous(true).subscriberBudget(64 * 1024)
                .slowClientGrace(Duration.ofMillis(300)));
             H3Client client = H3Client.connect(hub.gateway.port(), 64 * 1024, hub.certificate())) {
            H3Client.Stream stalled = client.getWithoutReading("/.well-known/mercure?topic=flow");
            H3Client.Stream fast = client.get("/.well-known/mercure?topic=flow");
            H3Client.Stream other = client.get("/.well-known/mercure?topic=other");
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 3);

            // 800 KB for the topic: far past the stalled stream's 64 KiB window plus its 64 KiB budget.
            String payload = "x".repeat(4000);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                ids.add(hub.publishOk("topic", "flow", "data", payload + i));
            }
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> fast.text().contains("id: " + ids.get(ids.size() - 1) + "\n"));
            for (String id : ids) {
                assertThat(fast.text()).contains("id: " + id + "\n");
            }
            // The stalled stream was cut loose for its budget; its hint could not pass its closed
            // window, so after the grace the stream (only it) was reset.
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> hub.gateway.hub().stats().slowDisconnects() == 1);
            stalled.startReading();
            assertThat(stalled.reset.get(20, TimeUnit.SECONDS)).isEqualTo((long) Http3ErrorCode.H3_REQUEST_CANCELLED.code());
            assertThat(client.connection.isActive()).isTrue();
            assertThat(fast.ended.isDone()).isFalse();

            String later = hub.publishOk("topic", "other", "data", "still here");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> other.text().contains("id: " + later + "\n"));
            H3Client.Stream fresh = client.get("/.well-known/mercure?topic=other");
            Awaitility.await().until(() -> fresh.text().contains("retry: "));
            assertThat(fresh.status.get(10, TimeUnit.SECONDS)).isEqualTo("200");
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 3);
        }
    }

    @Test
    void aStreamTheHubEndsEndsWithAFinAfterItsRetryHint() throws Exception {
        try (TestHub hub = TestHub.startTls(b -> {
            b.anonymous(true);
            b.jwtClockSkew = Duration.ZERO;
        }); H3Client client = H3Client.connect(hub.gateway.port(), hub.certificate())) {
            String expiring = TokenIssuer.hmac(JwtAlgorithm.HS256, TestHub.SECRET.getBytes(StandardCharsets.UTF_8),
                    List.of(), List.of("*"), Duration.ofSeconds(2));
            H3Client.Stream ending = client.get("/.well-known/mercure?topic=t&authorization=" + expiring);
            H3Client.Stream staying = client.get("/.well-known/mercure?topic=t");
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 2);

            assertThat(ending.ended.get(20, TimeUnit.SECONDS)).isTrue();
            assertThat(ending.text()).endsWith("\n\n: token expired, reconnect with a new token\nretry: 500\n\n");
            assertThat(ending.reset.isDone()).isFalse();

            String id = hub.publishOk("topic", "t", "data", "after");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> staying.text().contains("id: " + id + "\n"));
            assertThat(client.connection.isActive()).isTrue();
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
        }
    }

    /**
     * Netty's QUIC tells of a peer's STOP_SENDING only by failing the next write on the stream, so
     * a cancelled stream leaves at its next event or heartbeat (here every 300 ms).
     */
    @Test
    void aStreamItsClientCancelsLeavesTheHubAtItsNextWrite() throws Exception {
        try (TestHub hub = TestHub.startTls(b -> b.anonymous(true).heartbeat(Duration.ofMillis(300)));
             H3Client client = H3Client.connect(hub.gateway.port(), hub.certificate())) {
            H3Client.Stream leaving = client.get("/.well-known/mercure?topic=t");
            H3Client.Stream staying = client.get("/.well-known/mercure?topic=t");
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 2);
            // What a browser does when an EventSource is closed: reset its request stream.
            leaving.channel.shutdown(Http3ErrorCode.H3_REQUEST_CANCELLED.code()).sync();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> hub.gateway.hub().subscribers() == 1);
            assertThat(client.connection.isActive()).isTrue();
            String id = hub.publishOk("topic", "t", "data", "after");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> staying.text().contains("id: " + id + "\n"));
            assertThat(hub.gateway.hub().stats().slowDisconnects()).isZero();
        }
    }

    @Test
    void newQuicConnectionsGetTheRotatedCertificate() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        LocalCertificate first = LocalCertificate.generate("localhost", BigInteger.valueOf(2001));
        first.write(cert, key);
        LocalCertificate second = LocalCertificate.generate("localhost", BigInteger.valueOf(2002));
        try (Gateway gateway = Gateway.start(Config.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .anonymous(true).workers(1).shutdownGrace(Duration.ofMillis(200))
                .tls(cert.toString(), key.toString()).build())) {
            try (H3Client open = H3Client.connect(gateway.port(), first.certificate(), second.certificate())) {
                assertThat(servedSerial(open)).isEqualTo(2001);
                second.write(cert, key);
                Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                        .until(() -> gateway.tls().certificate().getSerialNumber().longValueExact() == 2002);
                try (H3Client fresh = H3Client.connect(gateway.port(), first.certificate(), second.certificate())) {
                    assertThat(servedSerial(fresh)).isEqualTo(2002);
                    assertThat(fresh.get("/healthz").status.get(10, TimeUnit.SECONDS)).isEqualTo("200");
                }
                // The connection made before keeps its certificate, and keeps working.
                assertThat(servedSerial(open)).isEqualTo(2001);
                assertThat(open.get("/healthz").status.get(10, TimeUnit.SECONDS)).isEqualTo("200");
            }
        }
    }

    @Test
    void http3CanBeTurnedOffAndIsNeverOnWithoutTls() throws Exception {
        try (TestHub hub = TestHub.startTls(b -> b.http3("off"))) {
            assertThat(hub.gateway.http3Address()).isNull();
            assertThat(hub.gateway.describeHttp3()).isEqualTo("HTTP/3 not served: --http3 off");
            HttpResponse<String> health = hub.http.send(HttpRequest.newBuilder(hub.url("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.headers().firstValue("alt-svc")).isEmpty();
        }
        try (TestHub plain = TestHub.start(b -> { })) {
            assertThat(plain.gateway.http3Address()).isNull();
            assertThat(plain.gateway.describeHttp3()).contains("needs TLS");
        }
        assertThatThrownBy(() -> Config.builder().listen(new InetSocketAddress("127.0.0.1", 0)).anonymous(true)
                .http3("on").build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--http3");
        assertThatThrownBy(() -> Config.builder().listen(new InetSocketAddress("127.0.0.1", 0)).anonymous(true)
                .tlsSelfSigned(true).http3("yes").build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--http3").hasMessageContaining("on or off");
    }

    private static long servedSerial(H3Client client) throws Exception {
        return ((X509Certificate) client.connection.sslEngine().getSession().getPeerCertificates()[0])
                .getSerialNumber().longValueExact();
    }
}
