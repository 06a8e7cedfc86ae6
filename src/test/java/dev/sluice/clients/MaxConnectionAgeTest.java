package dev.sluice.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.launchdarkly.eventsource.ConnectStrategy;
import com.launchdarkly.eventsource.ErrorStrategy;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.MessageEvent;
import com.launchdarkly.eventsource.StreamEvent;
import dev.sluice.hub.CloseCause;
import dev.sluice.support.IoKind;
import dev.sluice.support.NodeClients;
import dev.sluice.support.NodeClients.Client;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.TestHub;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * {@code --max-connection-age}: a stream is ended at its age (plus up to 10 %) with a comment and a
 * {@code retry:} hint, counted as {@code max_age}; real clients (npm eventsource, okhttp-eventsource)
 * reconnect from their last event id and miss nothing while updates keep being published.
 */
@OnEveryIoKind
class MaxConnectionAgeTest {

    @Parameter
    IoKind io;

    @Test
    void aStreamEndsAtItsAgeWithAHintAndTheEndOfTheBody() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).maxConnectionAge(Duration.ofSeconds(1)));
             Socket s = new Socket()) {
            s.setSoTimeout(30_000);
            s.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()), 5_000);
            long opened = System.nanoTime();
            s.getOutputStream().write("GET /.well-known/mercure?topic=a HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) >= 0; ) {
                all.write(buf, 0, n);
            }
            long lived = System.nanoTime() - opened;
            String text = all.toString(StandardCharsets.UTF_8);
            assertThat(text).startsWith("HTTP/1.1 200 OK\r\n");
            assertThat(text).contains(": connection age limit reached, reconnect to resume\nretry: 500\n\n");
            assertThat(text).as("the chunked body ends properly").endsWith("\r\n0\r\n\r\n");
            assertThat(Duration.ofNanos(lived)).as("never before its age").isGreaterThanOrEqualTo(Duration.ofSeconds(1));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> hub.gateway.hub().stats().closed(CloseCause.MAX_AGE) == 1);
            String metrics = hub.http.send(HttpRequest.newBuilder(hub.url("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("sluice_streams_closed_total{cause=\"max_age\"} 1.0");
        }
    }

    /**
     * npm eventsource, with {@code --position-event} so that it keeps the position a stream opens
     * with (see PositionBeforeFirstEventTest): over several age limits, with an update published
     * every 40 ms throughout, it receives every update exactly once and in order.
     */
    @Test
    void npmEventSourceReconnectsAndMissesNothing() throws Exception {
        NodeClients.assumeAvailable();
        int updates = 100;
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).maxConnectionAge(Duration.ofSeconds(1))
                .positionEvent("sluice-position"))) {
            URI url = URI.create(hub.hubUrl + "?topic=" + TestHub.q("https://example.com/ticks"));
            try (NodeClients.Run run = NodeClients.start(Client.EVENTSOURCE, url, updates, Duration.ofSeconds(90))) {
                run.awaitOpen();
                List<String> ids = new ArrayList<>();
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Thread publisher = Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < updates; i++) {
                            ids.add(hub.publishOk("topic", "https://example.com/ticks", "data", "tick " + i));
                            Thread.sleep(40);
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                });
                JsonNode done = run.awaitDone();
                publisher.join(Duration.ofSeconds(60));
                assertThat(failed.get()).isNull();
                assertThat(done.path("reason").asText()).as(run.lines().toString()).isEqualTo("count");
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < updates; i++) {
                    expected.add("message|tick " + i + "|" + ids.get(i));
                }
                assertThat(run.events()).containsExactlyElementsOf(expected);
                long ended = hub.gateway.hub().stats().closed(CloseCause.MAX_AGE);
                assertThat(ended).as("streams ended for their age while publishing").isGreaterThanOrEqualTo(2);
                List<String> resumedFrom = run.lines("request").stream()
                        .map(l -> l.path("lastEventId").asText(null)).toList();
                assertThat(resumedFrom.size()).as("requests: the first and one per reconnect")
                        .isGreaterThanOrEqualTo(3);
                assertThat(resumedFrom.subList(1, resumedFrom.size())).as("every reconnect resumed from an id")
                        .doesNotContainNull();
            }
        }
    }

    /**
     * okhttp-eventsource, with the plain id-only position block: it keeps ids of blocks that do not
     * dispatch an event, so it needs no {@code --position-event}.
     */
    @Test
    void okhttpEventSourceReconnectsAndMissesNothing() throws Exception {
        int updates = 100;
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).maxConnectionAge(Duration.ofSeconds(1)))) {
            BlockingQueue<MessageEvent> got = new LinkedBlockingQueue<>();
            EventSource es = new EventSource.Builder(ConnectStrategy.http(
                    URI.create(hub.hubUrl + "?topic=" + TestHub.q("https://example.com/ticks"))))
                    .retryDelay(100, TimeUnit.MILLISECONDS)
                    // Its default gives up at the first error; a stream the server ends is one.
                    .errorStrategy(ErrorStrategy.alwaysContinue())
                    .build();
            try {
                es.start();
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        for (StreamEvent e : es.anyEvents()) {
                            if (e instanceof MessageEvent m) {
                                got.add(m);
                            }
                        }
                    } catch (RuntimeException closed) {
                        // the test closed it
                    }
                });
                await().atMost(Duration.ofSeconds(30)).until(() -> hub.gateway.hub().subscribers() == 1);
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < updates; i++) {
                    ids.add(hub.publishOk("topic", "https://example.com/ticks", "data", "tick " + i));
                    Thread.sleep(40);
                }
                List<String> received = new ArrayList<>();
                for (int i = 0; i < updates; i++) {
                    MessageEvent m = got.poll(30, TimeUnit.SECONDS);
                    assertThat(m).as("update %d of %d; got %s", i, updates, received).isNotNull();
                    received.add(m.getData() + "|" + m.getLastEventId());
                }
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < updates; i++) {
                    expected.add("tick " + i + "|" + ids.get(i));
                }
                assertThat(received).containsExactlyElementsOf(expected);
                assertThat(got.poll(500, TimeUnit.MILLISECONDS)).as("nothing twice").isNull();
                assertThat(hub.gateway.hub().stats().closed(CloseCause.MAX_AGE)).isGreaterThanOrEqualTo(2);
                assertThat(hub.gateway.hub().stats().subscriptions()).as("streams: the first and one per reconnect")
                        .isGreaterThanOrEqualTo(3);
                reader.interrupt();
            } finally {
                es.close();
            }
        }
    }
}
