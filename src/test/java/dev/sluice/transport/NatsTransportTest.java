package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.support.IoKind;
import dev.sluice.support.NatsServer;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.PendingPublish;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * The NATS transport in this JVM, against a nats-server of the test's own: the stream it creates or
 * refuses, a server that is not there, a server that stops answering. What every transport promises
 * (replay, caught-up, outage and recovery, failover) is in {@link NatsTransportContractTest}.
 */
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
     * NATS stops answering (SIGSTOP): the event loops are not blocked (/healthz answers while a
     * publish waits for NATS), subscribers stay, a publish waits or gets 503, and all resumes after
     * SIGCONT.
     */
    @Test
    void natsPausedBlocksNoEventLoop() throws Exception {
        TestHub a = node(b -> b.workers(1)); // one loop: a wait on it would hold /healthz too
        try (SseStream s = a.subscribe("topic=p")) {
            a.publishOk("topic", "p", "data", "before");
            assertThat(s.next().data()).isEqualTo("before");

            nats.pause();
            int duringStatus;
            try (PendingPublish during = new PendingPublish(a, "p", "during")) {
                // The event loop is not blocked: /healthz answers, several times, while that publish
                // still waits for NATS (its request was read by the loop before the first of them).
                int answeredWhileWaiting = 0;
                for (int i = 0; i < 50 && answeredWhileWaiting < 3 && during.pending(); i++) {
                    assertThat(status(a, "/healthz")).isEqualTo(200);
                    if (during.pending()) {
                        answeredWhileWaiting++;
                    }
                }
                assertThat(answeredWhileWaiting).as("/healthz answers while a publish waits for the paused NATS").isEqualTo(3);
                boolean answeredBeforeResume = !during.pending();
                nats.resume();
                duringStatus = during.status(Duration.ofSeconds(30));
                if (duringStatus == 200) {
                    assertThat(answeredBeforeResume).as("the ack waited for NATS to come back").isFalse();
                }
            }

            assertThat(duringStatus).isIn(200, 503);
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
            if (duringStatus == 200) {
                assertThat(got).containsExactly("during", "after");
            }
            assertThat(s.reader.ended).isFalse();
        }
    }
}
