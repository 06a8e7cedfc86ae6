package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.support.IoKind;
import dev.sluice.support.NatsServer;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** The NATS transport in this JVM, against a nats-server of the test's own that it kills and pauses. */
@OnEveryIoKind
class NatsTransportTest {

    @Parameter
    IoKind io;

    @TempDir
    Path dir;
    NatsServer nats;
    final List<TestHub> hubs = new ArrayList<>();

    @BeforeEach
    void startNats() throws Exception {
        nats = NatsServer.start(dir.resolve("nats"));
    }

    @AfterEach
    void stopAll() throws Exception {
        for (TestHub h : hubs) {
            h.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    private TestHub node(Consumer<Config.Builder> more) throws Exception {
        TestHub h = TestHub.start(io, b -> {
            b.transport(nats.url()).anonymous(true);
            more.accept(b);
        });
        hubs.add(h);
        return h;
    }

    private TestHub node() throws Exception {
        return node(b -> { });
    }

    private static int status(TestHub h, String path) throws Exception {
        return h.http.send(HttpRequest.newBuilder(h.url(path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aNodeStartedLaterReplaysTheLogSoResumeWorksOnIt() throws Exception {
        TestHub a = node();
        for (int i = 1; i <= 5; i++) {
            a.publishOk("topic", "t", "id", "a" + i, "data", "d" + i);
        }
        TestHub b = node(c -> c.historySize(3));
        assertThat(b.gateway.hub().historyCount()).as("the last --history-size entries, before start returned").isEqualTo(3);

        try (SseStream s = b.subscribe("topic=t", "Last-Event-ID", "a3")) {
            assertThat(s.header("Last-Event-ID")).isEqualTo("a3");
            assertThat(s.take(2)).extracting(SseEvent::id).containsExactly("a4", "a5");
        }
        try (SseStream s = b.subscribe("topic=t", "Last-Event-ID", "a1")) {
            assertThat(s.header("Last-Event-ID")).as("trimmed from this node's history").isEqualTo("earliest");
            assertThat(s.take(3)).extracting(SseEvent::id).containsExactly("a3", "a4", "a5");
        }
    }

    @Test
    void anIdJustPublishedOnAnotherNodeIsNotMistakenForAnUnknownOne() throws Exception {
        TestHub a = node();
        TestHub b = node();
        for (int i = 0; i < 20; i++) {
            String id = a.publishOk("topic", "t", "data", "x" + i);
            // b may not have read it yet: it must catch up before choosing the resume point.
            try (SseStream s = b.subscribe("topic=t", "Last-Event-ID", id)) {
                assertThat(s.header("Last-Event-ID")).isEqualTo(id);
            }
        }
    }

    @Test
    void repeatedIdsAreAllDelivered() throws Exception {
        TestHub a = node();
        TestHub b = node();
        try (SseStream s = b.subscribe("topic=t")) {
            a.publishOk("topic", "t", "id", "same", "data", "one");
            a.publishOk("topic", "t", "id", "same", "data", "two");
            assertThat(s.take(2)).extracting(SseEvent::data).containsExactly("one", "two");
        }
    }

    @Test
    void theStreamIsCreatedThenBroughtInLineAndAnUnsuitableOneIsRefused() throws Exception {
        try (Connection nc = Nats.connect(nats.url())) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("OLD").subjects("old.log").maxMessages(50)
                    .storageType(StorageType.Memory).build());
            node(b -> b.historySize(5000).historyMaxAge(Duration.ofHours(1)).nats(null, "OLD", "old.log"));
            StreamConfiguration old = jsm.getStreamInfo("OLD").getConfiguration();
            assertThat(old.getMaxMsgs()).isEqualTo(5000);
            assertThat(old.getMaxAge()).isEqualTo(Duration.ofHours(1));

            node(b -> b.nats(null, "FRESH", "fresh.log"));
            StreamConfiguration fresh = jsm.getStreamInfo("FRESH").getConfiguration();
            assertThat(fresh.getRetentionPolicy()).isEqualTo(RetentionPolicy.Limits);
            assertThat(fresh.getStorageType()).isEqualTo(StorageType.File);
            assertThat(fresh.getMaxMsgs()).isEqualTo(10_000);

            jsm.addStream(StreamConfiguration.builder().name("WORK").subjects("work.log")
                    .retentionPolicy(RetentionPolicy.WorkQueue).build());
            assertThatThrownBy(() -> node(b -> b.nats(null, "WORK", "work.log")))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("--nats-stream")
                    .hasMessageContaining("workqueue").hasMessageContaining("limits retention");
            assertThatThrownBy(() -> node(b -> b.nats(null, "OLD", "other.log")))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("--nats-subject")
                    .hasMessageContaining("old.log");
        }
    }

    @Test
    void startFailsClearlyWhenNatsIsNotThere() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> TestHub.start(io, b -> b.transport("nats://127.0.0.1:" + port)))
                .isInstanceOf(TransportUnavailableException.class)
                .hasMessageContaining("cannot connect to NATS at nats://127.0.0.1:" + port);
    }

    /**
     * NATS is killed in the middle of a publishing run and restarted on its storage: publishes
     * during the outage get 503, /readyz says so, subscribers stay connected, and every
     * acknowledged update reaches them once, in order.
     */
    @Test
    void natsRestartsMidRunAndNoAcknowledgedUpdateIsLost() throws Exception {
        TestHub a = node();
        TestHub b = node();
        try (SseStream s = b.subscribe("topic=seq")) {
            List<Integer> acked = new CopyOnWriteArrayList<>();
            Set<Integer> refused = ConcurrentHashMap.newKeySet();
            List<Integer> readyDuringOutage = new CopyOnWriteArrayList<>();
            Thread outage = null;
            for (int k = 1; k <= 600; k++) {
                if (k == 150) {
                    outage = Thread.ofVirtual().start(() -> {
                        try {
                            nats.kill();
                            Thread.sleep(200);
                            readyDuringOutage.add(status(a, "/readyz"));
                            readyDuringOutage.add(status(b, "/readyz"));
                            Thread.sleep(1300);
                            nats.restart();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    Thread.sleep(50);
                }
                HttpResponse<String> res = a.publish(TestHub.publisher(), TestHub.form("topic", "seq", "data", "" + k));
                if (res.statusCode() == 200) {
                    acked.add(k);
                } else {
                    assertThat(res.statusCode()).isEqualTo(503);
                    assertThat(res.body()).contains("NATS");
                    refused.add(k);
                }
                Thread.sleep(5);
            }
            outage.join();
            assertThat(readyDuringOutage).containsExactly(503, 503);
            assertThat(refused).as("publishes while NATS was down").isNotEmpty();
            assertThat(acked).as("publishes work again once NATS is back")
                    .containsAll(java.util.stream.IntStream.rangeClosed(501, 600).boxed().toList());

            List<Integer> got = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!got.containsAll(acked) && System.nanoTime() < deadline) {
                SseEvent e = s.poll(Duration.ofMillis(200));
                if (e != null) {
                    got.add(Integer.parseInt(e.data()));
                }
            }
            System.out.println("NATS restart: " + acked.size() + " publishes acknowledged, " + refused.size()
                    + " refused with 503 while it was down; all acknowledged ones received: " + got.containsAll(acked));
            assertThat(s.reader.ended).as("the subscriber stayed connected").isFalse();
            assertThat(got).as("every acknowledged update").containsAll(acked);
            assertThat(got).as("once, in order").isSorted().doesNotHaveDuplicates();
            assertThat(status(a, "/readyz")).isEqualTo(200);
            String metrics = a.http.send(java.net.http.HttpRequest.newBuilder(a.url("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern("(?m)^sluice_transport_disconnects_total [1-9]")
                    .containsPattern("(?m)^sluice_transport_log_position [1-9]")
                    .contains("sluice_transport_log_gap_updates_total 0.0");
        }
    }

    /**
     * NATS stops answering (SIGSTOP) for 3 s: the event loops are not blocked (/healthz answers at
     * once), subscribers stay, a publish waits or gets 503, and all resumes after SIGCONT.
     */
    @Test
    void natsPausedForThreeSecondsBlocksNoEventLoop() throws Exception {
        TestHub a = node();
        try (SseStream s = a.subscribe("topic=p")) {
            a.publishOk("topic", "p", "data", "before");
            assertThat(s.next().data()).isEqualTo("before");

            nats.pause();
            long pausedAt = System.nanoTime();
            List<Integer> duringStatus = new CopyOnWriteArrayList<>();
            List<Long> duringMillis = new CopyOnWriteArrayList<>();
            Thread during = Thread.ofVirtual().start(() -> {
                try {
                    long t0 = System.nanoTime();
                    duringStatus.add(a.publish(TestHub.publisher(), TestHub.form("topic", "p", "data", "during")).statusCode());
                    duringMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long slowest = 0;
            while (System.nanoTime() - pausedAt < TimeUnit.MILLISECONDS.toNanos(2500)) {
                long t0 = System.nanoTime();
                assertThat(status(a, "/healthz")).isEqualTo(200);
                slowest = Math.max(slowest, System.nanoTime() - t0);
                Thread.sleep(100);
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(slowest)).as("slowest /healthz during the pause (ms)").isLessThan(500);
            Thread.sleep(Math.max(0, TimeUnit.MILLISECONDS.toNanos(3000) - (System.nanoTime() - pausedAt)) / 1_000_000);
            nats.resume();
            during.join();

            assertThat(duringStatus.get(0)).isIn(200, 503);
            if (duringStatus.get(0) == 200) {
                assertThat(duringMillis.get(0)).as("the ack waited for the pause").isGreaterThan(1500);
            }
            a.publishOk("topic", "p", "data", "after");
            List<String> got = new ArrayList<>();
            SseEvent e;
            while ((e = s.poll(Duration.ofSeconds(10))) != null) {
                got.add(e.data());
                if (e.data().equals("after")) {
                    break;
                }
            }
            assertThat(got).endsWith("after");
            if (duringStatus.get(0) == 200) {
                assertThat(got).containsExactly("during", "after");
            }
            assertThat(s.reader.ended).isFalse();
        }
    }
}
