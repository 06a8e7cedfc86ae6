package dev.sluice.hub;

import dev.sluice.topic.Update;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HistoryTest {

    private final List<ByteBuf> buffers = new ArrayList<>();

    private Event event(History h, String id, int size) {
        ByteBuf b = Unpooled.buffer(size).writeZero(size);
        buffers.add(b);
        return new Event(h.nextSeq(), new Update(id, List.of("t"), "", false, null, -1), b, null);
    }

    @ParameterizedTest(name = "count {0}, bytes {1}: after 10 events of 100 bytes keep {2}")
    @CsvSource({"5, 100000, 5", "100, 450, 4", "3, 250, 2", "100, 100000, 10", "1, 100000, 1"})
    void boundedByCountAndBytes(int count, long bytes, int kept) {
        History h = new History(count, bytes);
        for (int i = 1; i <= 10; i++) {
            h.append(event(h, "e" + i, 100));
        }
        assertThat(h.count()).isEqualTo(kept);
        assertThat(h.bytes()).isEqualTo(kept * 100L);
        assertThat(h.oldest()).isEqualTo(11 - kept);
        assertThat(h.at(h.head()).id).isEqualTo("e10");
        assertThat(h.seqOf("e" + (11 - kept))).isEqualTo(11 - kept);
        assertThat(h.seqOf("e" + (10 - kept))).as("evicted ids are forgotten").isEqualTo(-1);
        long released = buffers.stream().filter(b -> b.refCnt() == 0).count();
        assertThat(released).as("evicted buffers are released").isEqualTo(10 - kept);
        h.clear();
        assertThat(buffers).allMatch(b -> b.refCnt() == 0);
    }

    @Test
    void aRepeatedIdPointsAtItsOldestKeptOccurrenceThenAtTheNextOneKept() {
        History h = new History(4, 1 << 20);
        h.append(event(h, "same", 10)); // 1
        h.append(event(h, "x", 10));    // 2
        h.append(event(h, "same", 10)); // 3
        h.append(event(h, "same", 10)); // 4
        assertThat(h.seqOf("same")).isEqualTo(1);
        h.append(event(h, "y", 10)); // evicts seq 1: the next occurrence kept is seq 3
        assertThat(h.at(1)).isNull();
        assertThat(h.seqOf("same")).isEqualTo(3);
        h.append(event(h, "z", 10)); // evicts seq 2 ("x")
        assertThat(h.seqOf("x")).isEqualTo(-1);
        assertThat(h.seqOf("same")).isEqualTo(3);
        h.append(event(h, "w", 10)); // evicts seq 3
        assertThat(h.seqOf("same")).isEqualTo(4);
        h.append(event(h, "same", 10)); // 8, evicts seq 4
        assertThat(h.seqOf("same")).isEqualTo(8);
        h.append(event(h, "v", 10));
        h.append(event(h, "u", 10));
        h.append(event(h, "t", 10));
        assertThat(h.seqOf("same")).isEqualTo(8);
        h.append(event(h, "s", 10)); // evicts seq 8, the last occurrence kept
        assertThat(h.seqOf("same")).isEqualTo(-1);
    }

    @Test
    void everyIdPointsAtItsOldestKeptOccurrenceWhateverTheEvictions() {
        java.util.Random random = new java.util.Random(42);
        for (int round = 0; round < 50; round++) {
            History h = new History(1 + random.nextInt(20), 50 + random.nextInt(500));
            for (int i = 0; i < 300; i++) {
                h.append(event(h, "id" + random.nextInt(6), 1 + random.nextInt(random.nextInt(10) == 0 ? 600 : 60)));
                for (int id = 0; id < 6; id++) {
                    long oldest = -1;
                    for (long seq = h.oldest(); seq <= h.head() && oldest < 0; seq++) {
                        Event e = h.at(seq);
                        if (e != null && e.id.equals("id" + id)) {
                            oldest = seq;
                        }
                    }
                    assertThat(h.seqOf("id" + id)).as("round %d, append %d, id%d", round, i, id).isEqualTo(oldest);
                }
            }
            h.clear();
        }
        assertThat(buffers).allMatch(b -> b.refCnt() == 0);
    }

    @Test
    void anIdReusedByTheEventThatEvictsItsOnlyOccurrenceIsFoundAgain() {
        History h = new History(1, 1 << 20);
        h.append(event(h, "same", 10));
        h.append(event(h, "same", 10)); // evicts seq 1 first, then keeps seq 2
        assertThat(h.seqOf("same")).isEqualTo(2);
        History bytes = new History(10, 25);
        bytes.append(event(bytes, "same", 10));
        bytes.append(event(bytes, "other", 10));
        bytes.append(event(bytes, "same", 10)); // over 25 bytes: evicts seq 1 after keeping seq 3
        assertThat(bytes.seqOf("same")).isEqualTo(3);
    }

    @Test
    void zeroSizedHistoryKeepsNothing() {
        History h = new History(0, 1 << 20);
        Event e = event(h, "a", 10);
        h.append(e);
        assertThat(h.count()).isZero();
        assertThat(h.seqOf("a")).isEqualTo(-1);
        assertThat(buffers.get(0).refCnt()).isZero();
        assertThat(h.nextSeq()).isEqualTo(2);
    }
}
