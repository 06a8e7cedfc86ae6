package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.hub.CloseCause;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The streams of a draining hub, on a real gateway: each ends with why, a jittered retry and its
 * resume position, which has moved past the updates of other topics, and a client resuming from
 * it misses nothing; readiness answers 503; the ends are counted as {@code cause="drain"}.
 */
@OnEveryIoKind
class DrainTest {

    @Parameter
    IoKind io;

    @Test
    void drainedStreamsCarryTheirPositionAndAJitteredRetryAndAreCounted() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).workers(1))) {
            SseStream a = hub.subscribe("topic=a");
            SseStream b = hub.subscribe("topic=b");
            Socket raw = new Socket();
            raw.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()));
            raw.getOutputStream().write("GET /.well-known/mercure?topic=a HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 3);

            String a1 = hub.publishOk("topic", "a", "data", "a1");
            assertThat(a.next().id()).isEqualTo(a1);
            hub.publishOk("topic", "b", "data", "b1");
            String b2 = hub.publishOk("topic", "b", "data", "b2");
            assertThat(b.take(2)).extracting(SseEvent::data).containsExactly("b1", "b2");
            assertThat(a.poll(Duration.ofMillis(200))).isNull();

            hub.gateway.hub().drainStreams(Duration.ofMillis(300));
            Awaitility.await().until(() -> a.reader.ended && b.reader.ended);
            for (SseStream s : new SseStream[] {a, b}) {
                assertThat(s.reader.failure).isNull();
                assertThat(s.reader.commentTexts).anyMatch(c -> c.matches(" hub draining, resume elsewhere \\(wave \\d of 3\\)"));
                // --retry 2s, jittered between half and one and a half of it.
                assertThat(s.reader.lastRetry).isBetween(1000L, 3000L);
                // Everything up to b2 has been through the loop: the position is b2, also for 'a'.
                assertThat(s.reader.lastEventId()).isEqualTo(b2);
            }
            InputStream in = raw.getInputStream();
            raw.setSoTimeout(10_000);
            String rawText = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(rawText).contains("data: a1\n").contains(": hub draining, resume elsewhere (wave ")
                    .contains("\nid: " + b2 + "\n\n").doesNotContain("\r\n0\r\n");
            raw.close();

            var ready = hub.http.send(HttpRequest.newBuilder(hub.url("/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("draining");
            Awaitility.await().until(() -> hub.gateway.hub().stats().closed(CloseCause.DRAIN) == 3);
            String metrics = hub.http.send(HttpRequest.newBuilder(hub.url("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("sluice_streams_closed_total{cause=\"drain\"} 3.0");

            // Resuming from the position: the next update of 'a', nothing before it again.
            String a2 = hub.publishOk("topic", "a", "data", "a2");
            try (SseStream resumed = hub.subscribe("topic=a", "Last-Event-ID", a.reader.lastEventId())) {
                SseEvent first = resumed.next();
                assertThat(first.data()).isEqualTo("a2");
                assertThat(first.id()).isEqualTo(a2);
            }
        }
    }
}
