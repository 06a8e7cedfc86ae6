package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A key set that is slow to fetch holds up only the requests whose tokens need it: the event loop
 * that received such a request goes on serving everyone else meanwhile.
 *
 * <p>The key set server answers its first fetch with a trickle of whitespace (so no read timeout
 * ends it) until the test lets it send the keys. The gateway has a single event loop, so every
 * connection below is served by the loop that took the publish: had that loop waited for the
 * fetch, the health check and the subscription could not be answered before the keys are sent.
 */
class JwksOffLoopTest {

    static final RSAKey RS = JwksTest.rsa("rs-1");

    final CountDownLatch fetchStarted = new CountDownLatch(1);
    final CountDownLatch sendKeys = new CountDownLatch(1);
    HttpServer jwks;
    TestHub hub;

    @BeforeEach
    void start() throws Exception {
        byte[] keys = new JWKSet(List.of(RS.toPublicJWK())).toString().getBytes(StandardCharsets.UTF_8);
        jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwks.setExecutor(Executors.newCachedThreadPool());
        jwks.createContext("/jwks.json", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                fetchStarted.countDown();
                // Leading whitespace is valid JSON: one byte every 100 ms keeps the fetch alive.
                for (int i = 0; i < 600 && !sendKeys.await(100, TimeUnit.MILLISECONDS); i++) {
                    out.write(' ');
                    out.flush();
                }
                out.write(keys);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        jwks.start();
        String url = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json";
        hub = TestHub.start(b -> b.publisherJwt(null, "HS256").publisherJwksUrl(url).anonymous(true).workers(1));
    }

    @AfterEach
    void stop() {
        sendKeys.countDown();
        hub.close();
        jwks.stop(0);
    }

    @Test
    void otherClientsOfTheSameLoopAreServedWhileAKeySetIsFetched() throws Exception {
        String token = JwksTest.token(JWSAlgorithm.RS256, "rs-1", new RSASSASigner(RS));
        HttpRequest publish = HttpRequest.newBuilder(hub.hubUrl)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "a", "data", "after the keys")))
                .build();
        CompletableFuture<HttpResponse<String>> published = hub.http.sendAsync(publish,
                HttpResponse.BodyHandlers.ofString());
        assertThat(fetchStarted.await(30, TimeUnit.SECONDS)).as("the publish made the gateway fetch the key set")
                .isTrue();

        HttpResponse<String> health = hub.http.send(HttpRequest.newBuilder(hub.url("/healthz"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        try (SseStream stream = hub.subscribe("topic=a")) {
            assertThat(stream.response.statusCode()).isEqualTo(200);
            assertThat(published).as("the publish waits for the key set, which has not been sent").isNotDone();
            assertThat(sendKeys.getCount()).isEqualTo(1);

            sendKeys.countDown();
            HttpResponse<String> answer = published.get(60, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            SseEvent event = stream.next();
            assertThat(event.data()).isEqualTo("after the keys");
            assertThat(event.id()).isEqualTo(answer.body());
        }
    }
}
