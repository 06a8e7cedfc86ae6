package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.topic.Update;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Edges of the history's bounds and its per-topic index of latest events. */
class HistoryMutationTest {

    private final List<ByteBuf> buffers = new ArrayList<>();

    private Event event(History h, String id, int size, String... topics) {
        ByteBuf b = Unpooled.buffer(size).writeZero(size);
        buffers.add(b);
        List<String> t = topics.length == 0 ? List.of("t") : List.of(topics);
        return new Event(h.nextSeq(), new Update(id, t, "", false, null, -1), b, null);
    }

    private static Map<String, Long> latest(History h) {
        return h.latestPerTopic().stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @Test
    void anEventOfExactlyTheByteBoundIsKept() {
        History h = new History(10, 100);
        h.append(event(h, "a", 100));
        assertThat(h.count()).isEqualTo(1);
        assertThat(h.bytes()).isEqualTo(100);
        assertThat(h.at(1).id).isEqualTo("a");
        h.append(event(h, "b", 101));
        assertThat(h.count()).as("one byte too big: nothing kept").isZero();
        assertThat(h.bytes()).isZero();
        h.clear();
        assertThat(buffers).allMatch(b -> b.refCnt() == 0);
    }

    @Test
    void eventsFillingTheByteBoundExactlyAreAllKept() {
        History h = new History(10, 300);
        for (int i = 1; i <= 3; i++) {
            h.append(event(h, "e" + i, 100));
        }
        assertThat(h.count()).isEqualTo(3);
        assertThat(h.oldest()).isEqualTo(1);
        assertThat(h.bytes()).isEqualTo(300);
        h.append(event(h, "e4", 1));
        assertThat(h.oldest()).isEqualTo(2);
        assertThat(h.bytes()).isEqualTo(201);
        h.clear();
    }

    @Test
    void anEventTooBigToKeepEmptiesTheHistory() {
        History h = new History(10, 1000);
        h.append(event(h, "a", 100, "x"));
        h.append(event(h, "b", 100, "y"));
        h.append(event(h, "c", 100, "x"));
        h.append(event(h, "huge", 1001, "x"));
        assertThat(h.count()).isZero();
        assertThat(h.bytes()).isZero();
        assertThat(h.head()).isEqualTo(4);
        assertThat(h.oldest()).isEqualTo(5);
        assertThat(h.seqOf("a")).isEqualTo(-1);
        assertThat(h.seqOf("c")).isEqualTo(-1);
        assertThat(h.seqOf("huge")).isEqualTo(-1);
        assertThat(h.latestOn("x")).isEqualTo(-1);
        assertThat(h.latestPerTopic()).isEmpty();
        assertThat(h.at(3)).isNull();
        assertThat(h.at(4)).isNull();
        assertThat(buffers).as("every event released").allMatch(b -> b.refCnt() == 0);
        // and it fills again afterwards
        h.append(event(h, "d", 10, "x"));
        assertThat(h.count()).isEqualTo(1);
        assertThat(h.oldest()).isEqualTo(5);
        assertThat(h.latestOn("x")).isEqualTo(5);
        h.clear();
    }

    @Test
    void latestPerTopicFollowsCanonicalAndAlternateTopicsThroughEviction() {
        History h = new History(3, 1 << 20);
        h.append(event(h, "1", 10, "a", "alt"));
        h.append(event(h, "2", 10, "b"));
        h.append(event(h, "3", 10, "a"));
        assertThat(latest(h)).containsExactlyInAnyOrderEntriesOf(Map.of("a", 3L, "alt", 1L, "b", 2L));
        assertThat(h.latestOn("alt")).isEqualTo(1);
        assertThat(h.latestOn("nothing")).isEqualTo(-1);
        h.append(event(h, "4", 10, "c", "alt2")); // evicts 1: "alt" goes, "a" still points at 3
        assertThat(latest(h)).containsExactlyInAnyOrderEntriesOf(Map.of("a", 3L, "b", 2L, "c", 4L, "alt2", 4L));
        h.append(event(h, "5", 10, "c"));         // evicts 2
        h.append(event(h, "6", 10, "d"));         // evicts 3
        assertThat(latest(h)).containsExactlyInAnyOrderEntriesOf(Map.of("c", 5L, "alt2", 4L, "d", 6L));
        h.clear();
        assertThat(h.latestPerTopic()).isEmpty();
        assertThat(h.count()).isZero();
        assertThat(buffers).allMatch(b -> b.refCnt() == 0);
    }

    @Test
    void readsOutsideTheKeptRangeFindNothing() {
        History h = new History(2, 1 << 20);
        assertThat(h.at(0)).isNull();
        assertThat(h.at(1)).isNull();
        assertThat(h.count()).isZero();
        h.append(event(h, "1", 10));
        h.append(event(h, "2", 10));
        h.append(event(h, "3", 10));
        assertThat(h.at(1)).isNull();
        assertThat(h.at(2).id).isEqualTo("2");
        assertThat(h.at(3).id).isEqualTo("3");
        assertThat(h.at(4)).isNull();
        assertThat(h.nextSeq()).isEqualTo(4);
        h.clear();
        h.clear(); // clearing an empty history is harmless
        assertThat(h.at(3)).isNull();
    }
}
