package dev.sluice.support;

import dev.sluice.Gateway;
import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.config.Config;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/** A real gateway on a free loopback port, with helpers to publish and subscribe over HTTP. */
public final class TestHub implements AutoCloseable {
    public static final String SECRET = "sluice-test-secret-0123456789-abcdefghijklmnop";

    public final Gateway gateway;
    public final URI hubUrl;
    /** HTTP/1.1 to a plain gateway; HTTP/2 (ALPN h2), trusting its certificate, to a TLS one. */
    public final HttpClient http;
    /** {@code http://127.0.0.1:PORT}, or {@code https://127.0.0.1:PORT} with TLS (an address the certificate names). */
    public final String origin;

    private TestHub(Gateway gateway) {
        this.gateway = gateway;
        if (gateway.tls() == null) {
            this.origin = "http://127.0.0.1:" + gateway.port();
            this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
        } else {
            this.origin = "https://127.0.0.1:" + gateway.port();
            this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(sslContext())
                    .connectTimeout(Duration.ofSeconds(5)).build();
        }
        this.hubUrl = URI.create(origin + "/.well-known/mercure");
    }

    /**
     * A gateway serving HTTPS with a self-signed certificate made at start ({@code
     * --tls-self-signed}, for localhost, 127.0.0.1 and ::1); {@link #certificate()} is what to
     * trust (see {@link TlsTrust} for curl, okhttp and Chromium), and {@link #http} already does.
     */
    public static TestHub startTls(IoKind io, Consumer<Config.Builder> customize) throws Exception {
        return start(io, customize.andThen(b -> b.tlsSelfSigned(true)));
    }

    /** As {@link #startTls(IoKind, Consumer)}, on the best I/O kind of this machine. */
    public static TestHub startTls(Consumer<Config.Builder> customize) throws Exception {
        return start(customize.andThen(b -> b.tlsSelfSigned(true)));
    }

    /** The certificate the gateway serves now (null without TLS). */
    public java.security.cert.X509Certificate certificate() {
        return gateway.tls() == null ? null : gateway.tls().certificate();
    }

    /** A client SSL context that trusts the gateway's certificate and nothing else. */
    public javax.net.ssl.SSLContext sslContext() {
        return TlsTrust.sslContext(certificate());
    }

    /** A gateway on the best I/O kind of this machine ({@code --io auto}). */
    public static TestHub start(Consumer<Config.Builder> customize) throws Exception {
        Config.Builder b = Config.builder()
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .publisherJwt(SECRET, "HS256")
                .workers(2)
                .shutdownGrace(Duration.ofMillis(500));
        customize.accept(b);
        return new TestHub(Gateway.start(b.build()));
    }

    public static TestHub start() throws Exception {
        return start(b -> { });
    }

    /**
     * A gateway on the given I/O kind. When this machine cannot run it, the calling test is
     * skipped with the reason (see {@link IoKind#assumeAvailable}); a customizer that sets
     * {@code io} itself is overridden.
     */
    public static TestHub start(IoKind io, Consumer<Config.Builder> customize) throws Exception {
        io.assumeAvailable();
        TestHub hub = start(customize.andThen(b -> b.io(io.option())));
        if (!hub.gateway.io().name().equalsIgnoreCase(io.name())) {
            hub.close();
            throw new AssertionError("asked for " + io + " I/O, the gateway runs on " + hub.gateway.io());
        }
        return hub;
    }

    public static TestHub start(IoKind io) throws Exception {
        return start(io, b -> { });
    }

    /**
     * For a gateway shared by the tests of one I/O kind (started before them): null when this
     * machine cannot run the kind, so that each test, not their container, is reported as
     * skipped with the reason (by {@link OnEveryIoKind}).
     */
    public static TestHub startIfAvailable(IoKind io, Consumer<Config.Builder> customize) throws Exception {
        return io.unavailableBecause() == null ? start(io, customize) : null;
    }

    public URI url(String pathAndQuery) {
        return URI.create(origin + pathAndQuery);
    }

    public static String token(List<String> publish, List<String> subscribe) {
        return TokenIssuer.hmac(JwtAlgorithm.HS256, SECRET.getBytes(StandardCharsets.UTF_8), publish, subscribe, null);
    }

    public static String publisher() {
        return token(List.of("*"), List.of());
    }

    public static String subscriber(String... selectors) {
        return token(List.of(), Arrays.asList(selectors));
    }

    /** Form-encodes name/value pairs: form("topic", "a", "data", "x"). */
    public static String form(String... pairs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pairs.length; i += 2) {
            if (!sb.isEmpty()) {
                sb.append('&');
            }
            sb.append(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8));
            if (pairs[i + 1] != null) {
                sb.append('=').append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    public HttpResponse<String> publish(String token, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(hubUrl)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Publishes with an all-topics token and returns the id; fails unless the answer is 200. */
    public String publishOk(String... pairs) throws Exception {
        HttpResponse<String> res = publish(publisher(), form(pairs));
        if (res.statusCode() != 200) {
            throw new AssertionError("publish answered " + res.statusCode() + ": " + res.body());
        }
        return res.body();
    }

    /** Opens a subscription; query is e.g. "topic=a&topic=b". Headers as name, value pairs. */
    public SseStream subscribe(String query, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(hubUrl + "?" + query))
                .header("Accept", "text/event-stream").GET();
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        HttpResponse<InputStream> res = http.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (res.statusCode() != 200) {
            String body = new String(res.body().readAllBytes(), StandardCharsets.UTF_8);
            throw new AssertionError("subscribe answered " + res.statusCode() + ": " + body);
        }
        SseStream s = new SseStream(res);
        awaitSubscribers(s);
        return s;
    }

    /** A subscription that is refused: returns status and body. */
    public HttpResponse<String> subscribeRefused(String query, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(hubUrl + "?" + query)).timeout(Duration.ofSeconds(10)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * Waits until the whole opening block (comment, then {@code retry:}) was read, i.e. the
     * subscription is registered and its first bytes parsed.
     */
    private static void awaitSubscribers(SseStream s) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (s.reader.lastRetry == null && System.nanoTime() < deadline && !s.reader.ended) {
            Thread.sleep(2);
        }
    }

    @Override
    public void close() {
        gateway.close();
    }
}
