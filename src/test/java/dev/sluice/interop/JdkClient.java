package dev.sluice.interop;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The JDK's {@code java.net.http.HttpClient}: the transport of many Java services. It has no SSE
 * parser, so the bytes it delivers are read by {@link WireReader}, and it does not reconnect:
 * a scenario resumes by hand with a new request carrying Last-Event-ID.
 */
final class JdkClient implements InteropClient {
    private final Target target;
    private final HttpClient http;

    JdkClient(Target target) {
        this.target = target;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        switch (target.protocol) {
            case HTTP1 -> b.version(HttpClient.Version.HTTP_1_1);
            // Over TLS, ALPN; in cleartext the JDK asks for h2c with Upgrade on the first request.
            case H2, H2C_UPGRADE -> b.version(HttpClient.Version.HTTP_2);
            case H2C -> throw new IllegalStateException("the JDK HttpClient does not speak h2c by prior knowledge");
        }
        if (target.protocol.tls) {
            b.sslContext(target.hub.sslContext());
        }
        this.http = b.build();
    }

    @Override
    public ClientStream open(Subscription sub) throws Exception {
        ClientStream stream = new ClientStream("JDK HttpClient", true, true);
        HttpRequest.Builder r = HttpRequest.newBuilder(sub.url(target.hubUrl)).header("Accept", "text/event-stream").GET();
        if (sub.auth() == Subscription.Auth.HEADER) {
            r.header("Authorization", "Bearer " + sub.token());
        } else if (sub.auth() == Subscription.Auth.COOKIE) {
            r.header("Cookie", Subscription.COOKIE + "=" + sub.token());
        }
        if (sub.lastEventId() != null) {
            r.header("Last-Event-ID", sub.lastEventId());
        }
        stream.request(sub.lastEventId());
        var pending = http.sendAsync(r.build(), HttpResponse.BodyHandlers.ofInputStream());
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                HttpResponse<InputStream> res = pending.join();
                if (res.statusCode() != 200) {
                    stream.problem("status " + res.statusCode() + ": "
                            + new String(res.body().readAllBytes(), StandardCharsets.UTF_8));
                    stream.ended(null);
                    return;
                }
                stream.protocol(res.version() == HttpClient.Version.HTTP_2 ? "HTTP/2" : "HTTP/1.1");
                stream.opened(System.currentTimeMillis());
                new WireReader(stream).readAll(res.body());
            } catch (Exception e) {
                stream.problem("JDK HttpClient: " + e);
                stream.ended(null);
            }
        });
        stream.onClose(() -> {
            pending.thenAccept(res -> {
                try {
                    res.body().close();
                } catch (Exception ignored) {
                    // already closed
                }
            });
            pending.cancel(true);
            reader.join(5000);
        });
        return stream;
    }

    @Override
    public boolean reconnects() {
        return false;
    }

    @Override
    public void close() {
        http.close();
    }
}
