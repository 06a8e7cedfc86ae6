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
    void repeatedIdPointsAtTheNewestAndSurvivesEvictionOfTheOlder() {
        History h = new History(3, 1 << 20);
        h.append(event(h, "same", 10));
        h.append(event(h, "x", 10));
        h.append(event(h, "same", 10));
        assertThat(h.seqOf("same")).isEqualTo(3);
        h.append(event(h, "y", 10)); // evicts seq 1 ("same"), must not forget seq 3
        assertThat(h.seqOf("same")).isEqualTo(3);
        assertThat(h.at(1)).isNull();
        assertThat(h.at(3).id).isEqualTo("same");
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
