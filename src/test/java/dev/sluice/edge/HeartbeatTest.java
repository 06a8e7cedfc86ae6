package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
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
            assertThat(hub.gateway.hub().heartbeats()).isGreaterThanOrEqualTo(3);
            assertThat(s.reader.ended).isFalse();
        }
    }

    @Test
    void heartbeatsCanBeTurnedOff() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).heartbeat(Duration.ZERO));
             SseStream s = hub.subscribe("topic=idle")) {
            String id = hub.publishOk("topic", "idle", "data", "x");
            assertThat(s.next().id()).isEqualTo(id);
            assertThat(hub.gateway.hub().heartbeats()).isZero();
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
        }
    }
}
