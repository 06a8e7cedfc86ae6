package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.Update;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which subscribers an event visits. The index visits a subscriber once per (topic, selector)
 * pair that matches, plus once per {@code *} selector, whatever the event's topics; the
 * dispatcher de-duplicates. Removal swaps the last member of a list into the hole, so these
 * tests remove members at every position and in many orders, and check after each step that
 * every remaining subscriber is still visited exactly as often as it should be and no removed
 * one is visited at all.
 */
class TopicIndexTest {

    /**
     * The one place that builds a Subscriber for these tests: the index reads only its
     * selectors, so the rest is whatever the constructor needs.
     */
    static Subscriber subscriber(List<String> selectors) {
        return new Subscriber(new EmbeddedChannel(), selectors.stream().map(TopicSelector::parse).toList(),
                List.of(), true, 1 << 20, Long.MAX_VALUE, false);
    }

    /** An index and the named subscribers in it. */
    static final class Fixture {
        final TopicIndex index = new TopicIndex();
        final Map<String, Subscriber> byName = new LinkedHashMap<>();
        final Map<Subscriber, String> names = new IdentityHashMap<>();
        long seq;

        /** {@code name=selector&selector...} */
        void add(String definition) {
            String[] parts = definition.split("=", 2);
            Subscriber s = subscriber(Arrays.asList(parts[1].split("&")));
            byName.put(parts[0], s);
            names.put(s, parts[0]);
            index.add(s);
        }

        void remove(String name) {
            index.remove(byName.get(name));
        }

        /** The names of the subscribers an event on these topics visits, one entry per visit, sorted. */
        List<String> visits(List<String> topics) {
            Event e = new Event(++seq, new Update("e" + seq, topics, "", false, null, -1), Unpooled.EMPTY_BUFFER, null);
            List<String> visited = new ArrayList<>();
            index.forEachMatch(e, (s, ev) -> {
                assertThat(ev).isSameAs(e);
                visited.add(names.getOrDefault(s, "(unknown subscriber)"));
            });
            Collections.sort(visited);
            return visited;
        }
    }

    private static List<String> words(String s) {
        return s == null || s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }

    /**
     * Subscribers ({@code name=selector&selector}), then changes in order ({@code -name} removes,
     * {@code +name=selectors} adds), then the topics of one event (canonical first), then the
     * expected visits: a name appears once per visit.
     */
    @ParameterizedTest(name = "[{index}] {4}")
    @CsvSource(delimiter = '|', textBlock = """
            s1=a s2=b s3=*                   |                     | a        | s1 s3          | exact and wildcard
            s1=a s2=b s3=*                   |                     | c        | s3             | only the wildcard
            s1=a s2=a s3=a                   | -s2                 | a        | s1 s3          | remove from the middle
            s1=a s2=a s3=a                   | -s1                 | a        | s2 s3          | remove the first: the last moves in
            s1=a s2=a s3=a                   | -s3                 | a        | s1 s2          | remove the last
            s1=a s2=a s3=a s4=a              | -s1 -s4             | a        | s2 s3          | remove the one that was moved
            s1=a s2=a s3=a s4=a              | -s1 -s4 -s2         | a        | s3             | remove moved ones twice
            s1=a s2=a s3=a s4=a s5=a         | -s2 -s5 -s1 -s4     | a        | s3             | only the middle one left
            s1=a s2=a                        | -s1 -s1             | a        | s2             | removing twice changes nothing
            s1=a s2=a                        | -s1 -s2             | a        |                | empty list
            s1=a s2=a                        | -s1 -s2 +s3=a       | a        | s3             | list re-created after it emptied
            s1=b/{x} s2=b/{x} s3=b/{y}       | -s1                 | b/1      | s2 s3          | template groups
            s1=b/{x}                         | -s1                 | b/1      |                | empty template group is dropped
            s1=b/{x}                         | -s1 +s2=b/{x}       | b/1      | s2             | template group re-created once
            s1=b/{x} s2=b/{x}                | -s2 +s3=b/{x} -s1   | b/1      | s3             | template group kept while it has members
            s1=a s2=b s3=c                   |                     | a b      | s1 s2          | every topic of the event
            s1=a s2=b s3=c                   |                     | x b      | s2             | an alternate topic matches
            s1=a&b                           |                     | a b      | s1 s1          | two matching selectors: two visits
            s1=a&{x}                         |                     | a        | s1 s1          | exact and template both match
            s1=*&a                           |                     | a        | s1 s1          | wildcard and exact
            s1=* s2=*                        | -s1                 | x y z    | s2             | wildcard: once per event, not per topic
            s1=b/{x} s2=b/1                  |                     | b/{x}    | s1             | a template matches its own text
            s1={} s2={x}                     |                     | {}       | s1             | an invalid template is exact
            s1=a&b&* s2=a s3=b s4=*          | -s1                 | a b      | s2 s3 s4       | all memberships of a removed subscriber go
            s1=a&b&* s2=a s3=b s4=*          | -s2 -s3 -s4         | a b      | s1 s1 s1       | other lists' removals leave s1 intact
            s1=a s2=b/{x} s3=* s4=a s5=b/{x} | -s4 -s1 +s6=a -s3   | a b/2    | s2 s5 s6       | mixed adds and removals
            """)
    void visits(String subscribers, String changes, String topics, String expected, String what) {
        Fixture f = new Fixture();
        words(subscribers).forEach(f::add);
        for (String change : words(changes)) {
            if (change.startsWith("-")) {
                f.remove(change.substring(1));
            } else {
                f.add(change.substring(1));
            }
        }
        assertThat(f.visits(words(topics))).as(what).containsExactlyElementsOf(words(expected));
    }

    /** The selectors the removal-order test shares out, and which of its probe topics each matches. */
    private static final List<String> SHARED = List.of("a", "t/{x}", "*", "b");
    private static final Map<String, List<String>> MATCHED_TOPICS = Map.of(
            "a", List.of("a"),
            "t/{x}", List.of("t/1"),
            "*", List.of("a", "t/1", "b", "other"),
            "b", List.of("b"));
    private static final List<String> PROBES = List.of("a", "t/1", "b", "other");
    private static final int COUNT = 40;

    static Stream<Arguments> removalOrders() {
        List<Integer> forward = IntStream.range(0, COUNT).boxed().toList();
        List<Integer> backward = new ArrayList<>(forward);
        Collections.reverse(backward);
        List<Integer> evensThenOdds = new ArrayList<>(forward.stream().filter(i -> i % 2 == 0).toList());
        evensThenOdds.addAll(forward.stream().filter(i -> i % 2 == 1).toList());
        List<Integer> middleOut = new ArrayList<>();
        for (int d = 0; d < COUNT; d++) {
            middleOut.add(COUNT / 2 + (d % 2 == 0 ? d / 2 : -(d / 2) - 1));
        }
        List<Integer> lastOfEachList = new ArrayList<>();
        for (int i = COUNT - 1; i >= 0; i -= 2) {
            lastOfEachList.add(i); // the tail of each shared list first, then what is left
        }
        forward.stream().filter(i -> !lastOfEachList.contains(i)).forEach(lastOfEachList::add);
        Stream<Arguments> fixed = Stream.of(
                Arguments.of("first to last", forward),
                Arguments.of("last to first", backward),
                Arguments.of("evens, then odds", evensThenOdds),
                Arguments.of("from the middle outwards", middleOut),
                Arguments.of("every other from the end, then the rest", lastOfEachList));
        Stream<Arguments> shuffled = LongStream.range(1, 6).mapToObj(seed -> {
            List<Integer> order = new ArrayList<>(forward);
            Collections.shuffle(order, new Random(seed));
            return Arguments.of("shuffled, seed " + seed, order);
        });
        return Stream.concat(fixed, shuffled);
    }

    /**
     * {@value #COUNT} subscribers share four selectors (ten on each); they leave one by one in
     * the given order. After every departure each probe event visits every remaining subscriber
     * whose selector matches it exactly once and no other.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("removalOrders")
    void everyRemainingSubscriberIsVisitedOnceAfterEachRemoval(String order, List<Integer> removals) {
        assertThat(removals).as("a permutation").containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, COUNT).boxed().toList());
        Fixture f = new Fixture();
        for (int i = 0; i < COUNT; i++) {
            f.add("s" + i + "=" + SHARED.get(i % SHARED.size()));
        }
        List<Integer> remaining = new ArrayList<>(IntStream.range(0, COUNT).boxed().toList());
        for (int removed : removals) {
            f.remove("s" + removed);
            remaining.remove(Integer.valueOf(removed));
            for (String topic : PROBES) {
                List<String> expected = remaining.stream()
                        .filter(i -> MATCHED_TOPICS.get(SHARED.get(i % SHARED.size())).contains(topic))
                        .map(i -> "s" + i).sorted().toList();
                assertThat(f.visits(List.of(topic)))
                        .as("event on '%s' after removing s%d (%s)", topic, removed, order)
                        .containsExactlyElementsOf(expected);
            }
        }
    }

    /** Template match answers are remembered per topic, and forgotten past a bound: still right. */
    @Test
    void templateMatchesStayRightBeyondTheMatchMemory() {
        Fixture f = new Fixture();
        f.add("s1=t/{x}");
        f.add("s2=u/{x}");
        f.add("s3=t/{x}&u/{x}");
        for (int i = 0; i < 3_000; i++) { // three topics per round: past the bound of 4096 twice
            assertThat(f.visits(List.of("t/" + i))).containsExactly("s1", "s3");
            assertThat(f.visits(List.of("u/" + i, "t/" + i))).containsExactly("s1", "s2", "s3", "s3");
            assertThat(f.visits(List.of("v/" + i))).isEmpty();
        }
    }
}
