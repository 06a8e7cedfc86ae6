package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.topic.Update;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingByKeyTest {

    private final List<ByteBuf> buffers = new ArrayList<>();
    private long seq;

    private Event event(String key) {
        ByteBuf b = Unpooled.buffer(4).writeInt(0);
        buffers.add(b);
        seq++;
        return new Event(seq, new Update("e" + seq, List.of(key), "", false, null, -1), b, key);
    }

    private static List<Long> drain(PendingByKey p) {
        List<Long> out = new ArrayList<>();
        for (Event e; (e = p.poll()) != null; ) {
            out.add(e.seq);
            e.chunk.release();
        }
        return out;
    }

    @Test
    void emptyHoldsNothing() {
        PendingByKey p = new PendingByKey();
        assertThat(p.isEmpty()).isTrue();
        assertThat(p.size()).isZero();
        assertThat(p.isNewKey("a")).isTrue();
        assertThat(p.poll()).isNull();
    }

    @Test
    void keepsTheLatestPerKeyInTheOrderOfEachKeysLatestUpdate() {
        PendingByKey p = new PendingByKey();
        assertThat(p.hold(event("a"))).isNull();      // 1
        assertThat(p.hold(event("b"))).isNull();      // 2
        assertThat(p.hold(event("c"))).isNull();      // 3
        assertThat(p.isNewKey("b")).isFalse();
        Event replacedB = p.hold(event("b"));         // 4 replaces 2, b moves to the tail
        assertThat(replacedB.seq).isEqualTo(2);
        replacedB.chunk.release();
        Event replacedA = p.hold(event("a"));         // 5 replaces 1 (the head)
        assertThat(replacedA.seq).isEqualTo(1);
        replacedA.chunk.release();
        Event replacedA2 = p.hold(event("a"));        // 6 replaces 5 (the tail)
        assertThat(replacedA2.seq).isEqualTo(5);
        replacedA2.chunk.release();
        assertThat(p.size()).isEqualTo(3);
        assertThat(p.isEmpty()).isFalse();
        assertThat(drain(p)).containsExactly(3L, 4L, 6L);
        assertThat(p.isEmpty()).isTrue();
        assertThat(p.size()).isZero();
    }

    @Test
    void replacingAMiddleKeyKeepsTheListIntact() {
        PendingByKey p = new PendingByKey();
        p.hold(event("a"));                           // 1
        p.hold(event("b"));                           // 2
        p.hold(event("c"));                           // 3
        p.hold(event("b")).chunk.release();           // 4 replaces the middle one
        assertThat(p.poll().seq).isEqualTo(1);
        // after taking the head, the former middle relinks correctly at the tail
        p.hold(event("c")).chunk.release();           // 5 replaces 3, now the head
        assertThat(drain(p)).containsExactly(4L, 5L);
    }

    @Test
    void aPolledKeyIsNewAgainAndCountsAgain() {
        PendingByKey p = new PendingByKey();
        p.hold(event("a"));
        Event e = p.poll();
        e.chunk.release();
        assertThat(p.isNewKey("a")).as("a slot without an event is a new key").isTrue();
        assertThat(p.size()).isZero();
        assertThat(p.hold(event("a"))).isNull();
        assertThat(p.size()).isEqualTo(1);
        assertThat(p.isNewKey("a")).isFalse();
        assertThat(drain(p)).containsExactly(2L);
    }

    @Test
    void holdingAfterDrainingEmptyStartsAFreshList() {
        PendingByKey p = new PendingByKey();
        p.hold(event("a"));
        p.hold(event("b"));
        drain(p);
        p.hold(event("b"));                           // 3
        p.hold(event("a"));                           // 4
        assertThat(drain(p)).containsExactly(3L, 4L);
    }

    @Test
    void releaseAllReleasesEveryHeldChunkAndForgetsTheKeys() {
        PendingByKey p = new PendingByKey();
        p.hold(event("a"));
        p.hold(event("b"));
        p.hold(event("a")).chunk.release();
        p.releaseAll();
        assertThat(buffers).allMatch(b -> b.refCnt() == 0);
        assertThat(p.isEmpty()).isTrue();
        assertThat(p.isNewKey("a")).isTrue();
        assertThat(p.poll()).isNull();
    }
}
