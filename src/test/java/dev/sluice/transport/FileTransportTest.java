package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.topic.Update;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** The file transport in-process: the log outlives the gateway, trimmed by count and age. */
@OnEveryIoKind
class FileTransportTest {

    @Parameter
    IoKind io;

    @TempDir
    Path dir;

    TestHub start(Consumer<Config.Builder> more) throws Exception {
        return TestHub.start(io, b -> {
            b.anonymous(true).transport("file://" + dir);
            more.accept(b);
        });
    }

    @Test
    void historyAndResumeSurviveARestart() throws Exception {
        List<String> ids = new ArrayList<>();
        try (TestHub hub = start(b -> { })) {
            for (int i = 0; i < 30; i++) {
                ids.add(hub.publishOk("topic", "f", "data", "line " + i + "\nsecond", "id", i == 5 ? "mine" : null));
            }
            hub.publishOk("topic", "p", "data", "secret", "private", "on", "type", "t", "retry", "77");
        }
        try (TestHub hub = start(b -> b.historySize(20))) {
            assertThat(hub.gateway.hub().historyCount()).isEqualTo(20);
            try (SseStream s = hub.subscribe("topic=f", "Last-Event-ID", ids.get(15))) {
                assertThat(s.header("last-event-id")).isEqualTo(ids.get(15));
                List<SseEvent> got = s.take(14);
                assertThat(got).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(16, 30));
                assertThat(got.get(0).data()).isEqualTo("line 16\nsecond");
            }
            try (SseStream s = hub.subscribe("topic=p", "Last-Event-ID", "earliest", "Authorization",
                    "Bearer " + TestHub.subscriber("p"))) {
                SseEvent e = s.next();
                assertThat(e).isEqualTo(new SseEvent(e.id(), "t", "secret", 77L));
            }
        }
    }

    @Test
    void entriesBeyondTheHistorySizeAreDropped() throws Exception {
        List<String> ids = new ArrayList<>();
        try (TestHub hub = start(b -> b.historySize(10))) {
            for (int i = 0; i < 25; i++) {
                ids.add(hub.publishOk("topic", "c", "data", "d" + i));
            }
        }
        // A larger history size afterwards finds only what was kept.
        try (TestHub hub = start(b -> b.historySize(100))) {
            assertThat(hub.gateway.hub().historyCount()).isEqualTo(10);
            try (SseStream s = hub.subscribe("topic=c", "Last-Event-ID", "earliest")) {
                assertThat(s.take(10)).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(15, 25));
            }
        }
    }

    @Test
    void entriesOlderThanTheMaximumAgeAreDropped() throws Exception {
        try (TestHub hub = start(b -> b.historyMaxAge(Duration.ofMillis(300)))) {
            hub.publishOk("topic", "a", "data", "old");
            Thread.sleep(400);
            hub.publishOk("topic", "a", "data", "new");
        }
        try (TestHub hub = start(b -> { })) {
            assertThat(hub.gateway.hub().historyCount()).isEqualTo(1);
        }
    }

    @Test
    void concurrentPublishesShareCommitsAndKeepOneOrder() throws Exception {
        Config config = Config.builder().transport("file://" + dir).build();
        List<Update> seen = new ArrayList<>();
        try (FileTransport t = (FileTransport) Transports.open(config)) {
            t.start(seen::add);
            List<CompletableFuture<Update>> acks = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                acks.add(t.publish(new Update("u" + i, List.of("t"), "d", false, null, -1)));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
            assertThat(seen).extracting(Update::id).containsExactlyElementsOf(
                    acks.stream().map(CompletableFuture::join).map(Update::id).toList());
        }
    }

    @Test
    void aSecondGatewayOnTheSameDirectoryIsRefused() throws Exception {
        try (TestHub first = start(b -> { })) {
            assertThatThrownBy(() -> start(b -> { }).close())
                    .isInstanceOf(TransportUnavailableException.class)
                    .hasMessageContaining(dir.toString()).hasMessageContaining("another Sluice");
            first.publishOk("topic", "x", "data", "still fine");
        }
    }

    @Test
    void aUrlWithoutDirectoryIsRefused() {
        assertThatThrownBy(() -> Transports.open(Config.builder().transport("file://").build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--transport");
    }
}
