package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.hub.CloseCause;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

@OnEveryIoKind
class HeartbeatTest {

    @Parameter
    IoKind io;

    @Test
    void idleStreamsGetCommentsAndBusyOnesDoNotNeedThem() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).heartbeat(Duration.ofMillis(200)));
             SseStream s = hub.subscribe("topic=idle")) {
            int opening = s.reader.comments.get();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> s.reader.comments.get() >= opening + 3);
            assertThat(hub.gateway.hub().stats().heartbeats()).isGreaterThanOrEqualTo(3);
            assertThat(s.reader.ended).isFalse();
        }
    }

    /**
     * With heartbeats off, a stream idle across a whole sweep gets no comment. The sweep is seen to
     * have run: it ends a second stream on the same loop (one worker) whose token expires.
     */
    @Test
    void heartbeatsCanBeTurnedOff() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> {
            b.anonymous(true).heartbeat(Duration.ZERO).workers(1);
            b.jwtClockSkew = Duration.ZERO;
        });
             SseStream s = hub.subscribe("topic=idle");
             SseStream sweepWitness = hub.subscribe("topic=other", "Authorization", "Bearer " + TokenIssuer.hmac(
                     JwtAlgorithm.HS256, TestHub.SECRET.getBytes(StandardCharsets.UTF_8), List.of(), List.of("*"),
                     Duration.ofSeconds(3)))) {
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> sweepWitness.reader.ended);
            assertThat(hub.gateway.hub().stats().closed(CloseCause.TOKEN_EXPIRED)).isEqualTo(1);

            String id = hub.publishOk("topic", "idle", "data", "x");
            assertThat(s.next().id()).isEqualTo(id);
            assertThat(s.reader.commentTexts).as("comments: the opening one alone").containsExactly("");
            assertThat(hub.gateway.hub().stats().heartbeats()).isZero();
        }
    }

    @Test
    void streamIsClosedWhenTheSubscriberTokenExpires() throws Exception {
        String token = TokenIssuer.hmac(JwtAlgorithm.HS256, TestHub.SECRET.getBytes(StandardCharsets.UTF_8), List.of(),
                List.of("*"), Duration.ofSeconds(2));
        try (TestHub hub = TestHub.start(io, b -> b.jwtClockSkew = Duration.ZERO);
             SseStream s = hub.subscribe("topic=t", "Authorization", "Bearer " + token)) {
            String id = hub.publishOk("topic", "t", "data", "before expiry");
            assertThat(s.next().id()).isEqualTo(id);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> s.reader.ended);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> hub.gateway.hub().subscribers() == 0);
            assertThat(s.reader.commentTexts).as("the stream says why it ended")
                    .contains(" token expired, reconnect with a new token").doesNotContain(" too slow, resume from history");
            assertThat(hub.gateway.hub().stats().closed(CloseCause.TOKEN_EXPIRED)).isEqualTo(1);
            assertThat(hub.gateway.hub().stats().closed(CloseCause.SLOW)).isZero();
        }
    }

    /**
     * With a clock skew the stream lives until exp + skew, the very instant from which the same
     * token is refused: a client that reconnects with it as soon as its stream ends gets a 401, not
     * a stream that is closed again at once.
     */
    @Test
    void anExpiredStreamIsNotAcceptedAgainWithinTheClockSkew() throws Exception {
        String token = TokenIssuer.hmac(JwtAlgorithm.HS256, TestHub.SECRET.getBytes(StandardCharsets.UTF_8), List.of(),
                List.of("*"), Duration.ofSeconds(1));
        try (TestHub hub = TestHub.start(io, b -> b.jwtClockSkew = Duration.ofSeconds(2));
             SseStream s = hub.subscribe("topic=t", "Authorization", "Bearer " + token)) {
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> s.reader.ended);
            var again = hub.subscribeRefused("topic=t", "Authorization", "Bearer " + token);
            assertThat(again.statusCode()).isEqualTo(401);
            assertThat(again.body()).contains("expired");
            assertThat(hub.gateway.hub().stats().closed(CloseCause.TOKEN_EXPIRED)).isEqualTo(1);
            String metrics = hub.http.send(java.net.http.HttpRequest.newBuilder(hub.url("/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("sluice_streams_closed_total{cause=\"token_expired\"} 1.0");
        }
    }
}
