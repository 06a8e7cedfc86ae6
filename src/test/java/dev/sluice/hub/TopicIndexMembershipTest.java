package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.Update;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Membership bookkeeping of the index: growth, swap-removal, group clean-up, match memory. */
class TopicIndexMembershipTest {

    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final TopicIndex index = new TopicIndex();
    private long seq;

    @AfterEach
    void closeChannels() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private Subscriber subscriber(String... selectors) {
        EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        List<TopicSelector> parsed = Arrays.stream(selectors).map(TopicSelector::parse).toList();
        return new Subscriber(ch, parsed, List.of(), true, 1 << 16, Long.MAX_VALUE, false);
    }

    private Event event(String... topics) {
        seq++;
        return new Event(seq, new Update("e" + seq, List.of(topics), "", false, null, -1), Unpooled.EMPTY_BUFFER, null);
    }

    /** Every visit, in order (duplicates kept). */
    private List<Subscriber> visits(Event e) {
        List<Subscriber> out = new ArrayList<>();
        index.forEachMatch(e, (s, ev) -> {
            assertThat(ev).isSameAs(e);
            out.add(s);
        });
        return out;
    }

    @Test
    void exactTemplateAndAnySelectorsAreVisited() {
        Subscriber exact = subscriber("https://e.com/a");
        Subscriber template = subscriber("https://e.com/{x}");
        Subscriber any = subscriber("*");
        Subscriber other = subscriber("https://e.com/b/c");
        for (Subscriber s : List.of(exact, template, any, other)) {
            index.add(s);
        }
        assertThat(visits(event("https://e.com/a"))).containsExactlyInAnyOrder(exact, template, any);
        assertThat(visits(event("https://e.com/b/c"))).containsExactlyInAnyOrder(other, any);
        assertThat(visits(event("https://e.com/z"))).containsExactlyInAnyOrder(template, any);
        assertThat(visits(event("urn:nothing"))).containsExactly(any);
    }

    @Test
    void everyTopicOfAnEventIsConsulted() {
        Subscriber a = subscriber("https://e.com/a");
        Subscriber b = subscriber("https://e.com/b");
        Subscriber t = subscriber("https://e.com/t/{x}");
        index.add(a);
        index.add(b);
        index.add(t);
        assertThat(visits(event("https://e.com/a", "https://e.com/b", "https://e.com/t/1")))
                .containsExactlyInAnyOrder(a, b, t);
        assertThat(visits(event("https://e.com/a", "https://e.com/a"))).containsExactly(a, a);
    }

    @Test
    void manyMembersGrowTheGroupAndSurviveRemovalInAnyOrder() {
        List<Subscriber> subs = IntStream.range(0, 37).mapToObj(i -> subscriber("https://e.com/a", "https://e.com/{x}")).toList();
        subs.forEach(index::add);
        assertThat(visits(event("https://e.com/a"))).hasSize(74).containsAll(subs);
        List<Subscriber> removed = new ArrayList<>();
        for (int i = 0; i < subs.size(); i += 3) {
            index.remove(subs.get(i));
            removed.add(subs.get(i));
        }
        index.remove(subs.get(subs.size() - 1));
        removed.add(subs.get(subs.size() - 1));
        List<Subscriber> kept = subs.stream().filter(s -> !removed.contains(s)).toList();
        List<Subscriber> seen = visits(event("https://e.com/a"));
        assertThat(seen).hasSize(kept.size() * 2).containsAll(kept).doesNotContainAnyElementsOf(removed);
        assertThat(kept).allSatisfy(s -> assertThat(s.memberships).hasSize(2).allSatisfy(
                m -> assertThat(m.list.items[m.position]).isSameAs(m)));
    }

    @Test
    void removingTheLastMemberDropsTheGroupAndAddingAgainWorks() {
        Subscriber t = subscriber("https://e.com/{x}");
        Subscriber e = subscriber("https://e.com/a");
        index.add(t);
        index.add(e);
        index.remove(t);
        index.remove(e);
        assertThat(t.memberships).isNull();
        assertThat(visits(event("https://e.com/a"))).isEmpty();
        index.remove(t); // a second removal is harmless
        Subscriber t2 = subscriber("https://e.com/{x}");
        Subscriber e2 = subscriber("https://e.com/a");
        index.add(t2);
        index.add(e2);
        assertThat(visits(event("https://e.com/a"))).containsExactlyInAnyOrder(t2, e2);
    }

    @Test
    void anyMembersRemainAfterOthersLeave() {
        Subscriber a1 = subscriber("*");
        Subscriber a2 = subscriber("*");
        index.add(a1);
        index.add(a2);
        index.remove(a1);
        assertThat(visits(event("urn:x"))).containsExactly(a2);
        index.remove(a2);
        assertThat(visits(event("urn:x"))).isEmpty();
        Subscriber a3 = subscriber("*");
        index.add(a3);
        assertThat(visits(event("urn:x"))).containsExactly(a3);
    }

    @Test
    void groupsSharedBySubscribersStayUntilTheLastLeaves() {
        Subscriber s1 = subscriber("https://e.com/a", "https://e.com/{x}");
        Subscriber s2 = subscriber("https://e.com/a", "https://e.com/{x}");
        index.add(s1);
        index.add(s2);
        index.remove(s1);
        assertThat(visits(event("https://e.com/a"))).containsExactly(s2, s2);
        assertThat(visits(event("https://e.com/b"))).containsExactly(s2);
    }

    @Test
    void templateMatchMemoryStaysCorrectPastItsBound() {
        Subscriber t = subscriber("https://e.com/{x}");
        index.add(t);
        for (int i = 0; i < 5000; i++) {
            String topic = i % 2 == 0 ? "https://e.com/" + i : "https://e.com/" + i + "/deeper";
            assertThat(visits(event(topic))).as(topic).hasSize(i % 2 == 0 ? 1 : 0);
        }
        TopicIndex.Members group = t.memberships[0].list;
        assertThat(group.matchMemory.size()).isLessThanOrEqualTo(4096);
        assertThat(visits(event("https://e.com/0"))).containsExactly(t);
        assertThat(visits(event("https://e.com/1/deeper"))).isEmpty();
    }

    @Test
    void noEmptyGroupIsLeftBehindWhenEveryoneLeaves() throws ReflectiveOperationException {
        Subscriber s1 = subscriber("https://e.com/a", "https://e.com/{x}", "*");
        Subscriber s2 = subscriber("https://e.com/b", "https://e.com/{y}/z");
        index.add(s1);
        index.add(s2);
        assertThat(sizeOf("exact")).isEqualTo(2);
        assertThat(sizeOf("templates")).isEqualTo(2);
        assertThat(sizeOf("templateList")).isEqualTo(2);
        index.remove(s1);
        index.remove(s2);
        assertThat(sizeOf("exact")).isZero();
        assertThat(sizeOf("templates")).isZero();
        assertThat(sizeOf("templateList")).isZero();
    }

    private int sizeOf(String field) throws ReflectiveOperationException {
        java.lang.reflect.Field f = TopicIndex.class.getDeclaredField(field);
        f.setAccessible(true);
        Object value = f.get(index);
        return value instanceof java.util.Map<?, ?> m ? m.size() : ((java.util.List<?>) value).size();
    }

    @Test
    void templateMatchMemoryIsClearedAtItsBound() {
        Subscriber t = subscriber("https://e.com/{x}");
        index.add(t);
        TopicIndex.Members group = t.memberships[0].list;
        visits(event("https://e.com/0"));
        visits(event("https://e.com/1"));
        assertThat(group.matchMemory).as("remembered, not cleared").hasSize(2);
        for (int i = 2; i < 4096; i++) {
            visits(event("https://e.com/" + i));
        }
        assertThat(group.matchMemory).hasSize(4096);
        visits(event("https://e.com/4096"));
        assertThat(group.matchMemory).as("cleared at the bound, then the new topic").hasSize(1);
    }
}
