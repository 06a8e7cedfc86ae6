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
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
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
            assertThat(hub.gateway.hub().stats().historyCount()).isEqualTo(20);
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
            assertThat(hub.gateway.hub().stats().historyCount()).isEqualTo(10);
            try (SseStream s = hub.subscribe("topic=c", "Last-Event-ID", "earliest")) {
                assertThat(s.take(10)).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(15, 25));
            }
        }
    }

    @Test
    void entriesOlderThanTheMaximumAgeAreDropped() throws Exception {
        try (TestHub hub = start(b -> b.historyMaxAge(Duration.ofMillis(300)))) {
            hub.publishOk("topic", "a", "data", "old");
            Thread.sleep(400); // time must pass: "old" has to be older than --history-max-age
            hub.publishOk("topic", "a", "data", "new");
        }
        try (TestHub hub = start(b -> { })) {
            assertThat(hub.gateway.hub().stats().historyCount()).isEqualTo(1);
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

    /**
     * A log written before entries held the shared update record (format 1: the update's fields
     * one after the other) is still read after the upgrade, and new entries follow it.
     */
    @Test
    void aLogWrittenInTheFirstEntryFormatIsStillRead() throws Exception {
        try (MVStore store = new MVStore.Builder().fileName(dir.resolve(FileTransport.FILE_NAME).toString()).open()) {
            MVMap<Long, byte[]> log = store.openMap("log", new MVMap.Builder<Long, byte[]>()
                    .keyType(LongDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
            log.put(1L, formatOne("old-1", List.of("o", "alt"), "first\nline", false, null, -1));
            log.put(2L, formatOne("old-2", List.of("o"), "é ✓", true, "note", 1500));
            store.commit();
        }
        try (TestHub hub = start(b -> { })) {
            assertThat(hub.gateway.hub().stats().historyCount()).isEqualTo(2);
            String fresh = hub.publishOk("topic", "o", "data", "new");
            try (SseStream s = hub.subscribe("topic=o", "Last-Event-ID", "earliest", "Authorization",
                    "Bearer " + TestHub.subscriber("o"))) {
                assertThat(s.take(3)).containsExactly(new SseEvent("old-1", "message", "first\nline", null),
                        new SseEvent("old-2", "note", "é ✓", 1500L), new SseEvent(fresh, "message", "new", null));
            }
        }
        try (TestHub hub = start(b -> { })) {
            assertThat(hub.gateway.hub().stats().historyCount()).as("both formats, after a restart").isEqualTo(3);
        }
    }

    /** An entry as the first file format wrote it. */
    private static byte[] formatOne(String id, List<String> topics, String data, boolean isPrivate, String type,
                                    long retry) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeLong(System.currentTimeMillis());
            writeString(out, id);
            out.writeInt(topics.size());
            for (String t : topics) {
                writeString(out, t);
            }
            writeString(out, data);
            out.writeBoolean(isPrivate);
            out.writeBoolean(type != null);
            if (type != null) {
                writeString(out, type);
            }
            out.writeLong(retry);
        }
        return bytes.toByteArray();
    }

    private static void writeString(java.io.DataOutputStream out, String s) throws java.io.IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
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
