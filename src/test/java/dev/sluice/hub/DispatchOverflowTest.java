package dev.sluice.hub;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.topic.Update;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A loop that falls behind stops queueing and its subscribers catch up from history: with an
 * inbox of 2 and bursts of thousands of updates, every subscriber still gets every update once,
 * in order, and the hub's memory is the history, not a backlog.
 */
@OnEveryIoKind
class DispatchOverflowTest {

    @Parameter
    IoKind io;

    @Test
    void subscribersOfAnOverflowingLoopCatchUpFromHistoryWithoutGapOrDuplicate() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).maxDispatchQueue(2).historySize(50_000)
                .historyMaxBytes(256L << 20))) {
            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                streams.add(hub.subscribe(i % 2 == 0 ? "topic=o" : "topic=" + TestHub.q("{x}") + "&topic=o"));
            }
            Hub h = hub.gateway.hub();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                String id = "u" + i;
                ids.add(id);
                h.accept(new Update(id, List.of("o"), "payload " + i + " " + "z".repeat(i % 300), false, null, -1));
            }
            assertThat(h.stats().overflows()).as("the tiny inbox overflowed").isPositive();
            for (SseStream s : streams) {
                List<SseEvent> got = s.take(5_000);
                assertThat(got).extracting(SseEvent::id).containsExactlyElementsOf(ids);
                assertThat(s.poll(java.time.Duration.ofMillis(100))).isNull();
            }
            String live = hub.publishOk("topic", "o", "data", "after");
            for (SseStream s : streams) {
                assertThat(s.next().id()).isEqualTo(live);
                s.close();
            }
        }
    }
}
