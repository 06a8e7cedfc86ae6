package dev.sluice.edge;

import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.Config;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Market-data features: conflation for slow subscribers, throttling, latest-value snapshots. */
@OnEveryIoKind
class ConflationTest {

    @Parameter
    IoKind io;

    static Stream<Arguments> conflatingHubs() {
        return Stream.of(
                Arguments.of("--conflate selector", (Consumer<Config.Builder>) b -> b.conflate(List.of("quotes/{sym}"))),
                Arguments.of("--slow-client-policy conflate", (Consumer<Config.Builder>) b -> b.slowClientPolicy("conflate")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conflatingHubs")
    void slowSubscriberKeepsOnlyTheLatestPerTopicAndEndsWithIt(String name, Consumer<Config.Builder> conflation)
            throws Exception {
        try (TestHub hub = TestHub.start(io, b -> {
            b.anonymous(true).subscriberBudget(256 * 1024);
            conflation.accept(b);
        })) {
            Socket slow = new Socket();
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()));
            slow.getOutputStream().write(("GET /.well-known/mercure?topic=" + q("quotes/{sym}")
                    + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);

            // 12 MB for a reader that reads nothing: far past its 256 KiB budget without conflation.
            String pad = "q".repeat(4000);
            Map<String, String> latest = new HashMap<>();
            for (int i = 0; i < 3000; i++) {
                String sym = "S" + (i % 10);
                String data = sym + ":" + i + ":" + pad;
                hub.publishOk("topic", "quotes/" + sym, "data", data);
                latest.put(sym, data);
            }
            assertThat(hub.gateway.hub().stats().slowDisconnects()).isZero();
            assertThat(hub.gateway.hub().stats().conflated()).isPositive();

            // Now it reads: for every symbol the last thing it sees is the latest quote.
            SseReader reader = new SseReader();
            Thread.ofVirtual().start(() -> {
                try {
                    reader.readAll(slow.getInputStream());
                } catch (java.io.IOException e) {
                    reader.failure = e;
                }
            });
            Map<String, String> seen = new HashMap<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                SseEvent e;
                while ((e = reader.events.poll()) != null) {
                    seen.put(e.data().substring(0, e.data().indexOf(':')), e.data());
                }
                return seen.equals(latest);
            });
            slow.close();
        }
    }

    /**
     * With a small kernel send buffer, a reader that stops is conflated after a few hundred KB
     * instead of after the megabytes the kernel would otherwise buffer for it; and with a budget
     * below the socket's usual water mark (64 KiB) it is conflated, not cut as slow: the channel
     * turns unwritable (where conflation starts) before its queue reaches the budget.
     */
    @Test
    void aSmallSocketSendBufferBringsTheBacklogToTheGatewaySoon() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).subscriberBudget(64 * 1024)
                .conflate(List.of("quotes/{sym}")).socketSendBuffer(16 * 1024))) {
            Socket slow = new Socket();
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()));
            slow.getOutputStream().write(("GET /.well-known/mercure?topic=" + q("quotes/{sym}")
                    + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
            String pad = "q".repeat(4000);
            for (int i = 0; i < 100; i++) { // 400 KB in all
                hub.publishOk("topic", "quotes/S" + (i % 5), "data", i + ":" + pad);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> hub.gateway.hub().stats().conflated() > 0
                    || hub.gateway.hub().stats().slowDisconnects() > 0);
            assertThat(hub.gateway.hub().stats().slowDisconnects()).isZero();
            assertThat(hub.gateway.hub().stats().conflated()).isPositive();
            slow.close();
        }
    }

    @Test
    void nonConflatedTopicsStillFollowTheDisconnectPolicy() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).subscriberBudget(64 * 1024)
                .conflate(List.of("quotes/{sym}")).slowClientGrace(Duration.ofMillis(200)))) {
            Socket slow = new Socket();
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()));
            slow.getOutputStream().write("GET /.well-known/mercure?topic=news HTTP/1.0\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
            String pad = "n".repeat(4000);
            for (int i = 0; i < 2000 && hub.gateway.hub().stats().slowDisconnects() == 0; i++) {
                hub.publishOk("topic", "news", "data", pad);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> hub.gateway.hub().stats().slowDisconnects() == 1);
            slow.close();
        }
    }

    @Test
    void throttledTopicGetsAtMostOneUpdatePerIntervalEndingWithTheLatest() throws Exception {
        Duration interval = Duration.ofMillis(500);
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).throttle(Map.of("prices/{sym}", interval)));
             SseStream s = hub.subscribe("topic=" + q("prices/{sym}") + "&topic=other")) {
            long started = System.nanoTime();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                ids.add(hub.publishOk("topic", "prices/ACME", "data", "p" + i));
            }
            long elapsed = System.nanoTime() - started;
            String unthrottled = hub.publishOk("topic", "other", "data", "o");

            List<SseEvent> got = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                SseEvent e;
                while ((e = s.reader.events.poll()) != null) {
                    got.add(e);
                }
                return got.stream().anyMatch(x -> x.data().equals("p59"));
            });
            List<SseEvent> prices = got.stream().filter(e -> e.data().startsWith("p")).toList();
            long windows = elapsed / interval.toNanos() + 2;
            assertThat(prices.size()).as("one per %s window at most", interval).isLessThanOrEqualTo((int) windows + 1);
            assertThat(prices.get(prices.size() - 1).data()).isEqualTo("p59");
            assertThat(got).extracting(SseEvent::id).contains(unthrottled);
            assertThat(hub.gateway.hub().stats().throttled()).isPositive();

            // History is not thinned: a resume still gets every update.
            try (SseStream resumed = hub.subscribe("topic=" + q("prices/{sym}"), "Last-Event-ID", "earliest")) {
                assertThat(resumed.take(60)).extracting(SseEvent::id).containsExactlyElementsOf(ids);
            }
        }
    }

    @Test
    void snapshotSendsTheLatestOfEachMatchingTopicFirst() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true))) {
            hub.publishOk("topic", "board/A", "data", "A1");
            hub.publishOk("topic", "board/B", "data", "B1");
            String a2 = hub.publishOk("topic", "board/A", "data", "A2");
            hub.publishOk("topic", "elsewhere", "data", "x");
            String c1 = hub.publishOk("topic", "board/C", "data", "C1", "private", "on");
            String b2 = hub.publishOk("topic", "board/B", "data", "B2");

            try (SseStream anonymous = hub.subscribe("topic=" + q("board/{s}") + "&snapshot=1");
                 SseStream authorised = hub.subscribe("topic=" + q("board/{s}") + "&snapshot=true",
                         "Authorization", "Bearer " + TestHub.subscriber("board/{s}"));
                 SseStream exact = hub.subscribe("topic=board/A&topic=board/Z&snapshot=1");
                 SseStream without = hub.subscribe("topic=" + q("board/{s}"))) {
                assertThat(anonymous.take(2)).extracting(SseEvent::id).containsExactly(a2, b2);
                assertThat(authorised.take(3)).extracting(SseEvent::id).containsExactly(a2, c1, b2);
                assertThat(exact.next().id()).isEqualTo(a2);
                String live = hub.publishOk("topic", "board/A", "data", "A3");
                assertThat(anonymous.next().id()).isEqualTo(live);
                assertThat(exact.next().id()).isEqualTo(live);
                assertThat(without.next().id()).as("no snapshot unless asked").isEqualTo(live);
            }
        }
    }
}
