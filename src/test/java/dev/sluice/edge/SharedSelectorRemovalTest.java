package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Many subscribers share selectors (an exact topic, a template, {@code *}), and they disconnect
 * one by one in several orders: after each disconnect every remaining subscriber still receives
 * every update it matches, once and in order. One worker, so that all of them share one loop's
 * topic index and every removal moves another member within the same lists.
 */
@OnEveryIoKind
class SharedSelectorRemovalTest {

    private static final int N = 9;

    @Parameter
    IoKind io;

    @Test
    void oldestFirst() throws Exception {
        run(IntStream.range(0, N).boxed().toList());
    }

    @Test
    void newestFirst() throws Exception {
        run(IntStream.range(0, N).map(i -> N - 1 - i).boxed().toList());
    }

    /** The first, then the one that was moved into its place, and so on. */
    @Test
    void alternatingEnds() throws Exception {
        List<Integer> order = new ArrayList<>();
        for (int lo = 0, hi = N - 1; lo <= hi; lo++, hi--) {
            order.add(lo);
            if (hi != lo) {
                order.add(hi);
            }
        }
        run(order);
    }

    @Test
    void middleOut() throws Exception {
        List<Integer> order = new ArrayList<>();
        int mid = N / 2;
        order.add(mid);
        for (int d = 1; d <= mid; d++) {
            order.add(mid - d);
            if (mid + d < N) {
                order.add(mid + d);
            }
        }
        run(order);
    }

    @Test
    void shuffled() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            List<Integer> order = new ArrayList<>(IntStream.range(0, N).boxed().toList());
            Collections.shuffle(order, new Random(seed));
            run(order);
        }
    }

    /** Subscriber i: /shared and /items/{id} always, * when even, /odd when i % 3 == 0. */
    private static String query(int i) {
        String q = "topic=/shared&topic=" + TestHub.q("/items/{id}");
        if (i % 2 == 0) {
            q += "&topic=*";
        }
        if (i % 3 == 0) {
            q += "&topic=/odd";
        }
        return q;
    }

    private void run(List<Integer> order) throws Exception {
        assertThat(order).as("a permutation").containsExactlyInAnyOrderElementsOf(IntStream.range(0, N).boxed().toList());
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).workers(1))) {
            SseStream[] subs = new SseStream[N];
            try {
                for (int i = 0; i < N; i++) {
                    subs[i] = hub.subscribe(query(i));
                }
                Awaitility.await().until(() -> hub.gateway.hub().subscribers() == N);
                boolean[] open = new boolean[N];
                java.util.Arrays.fill(open, true);
                int step = 0;
                for (int gone : order) {
                    subs[gone].close();
                    open[gone] = false;
                    int remaining = N - ++step;
                    Awaitility.await().until(() -> hub.gateway.hub().subscribers() == remaining);

                    String shared = hub.publishOk("topic", "/shared", "data", "s" + step);
                    String item = hub.publishOk("topic", "/items/" + step, "data", "i" + step);
                    String odd = hub.publishOk("topic", "/odd", "data", "o" + step);
                    String other = hub.publishOk("topic", "/other", "data", "x" + step);
                    // Last, so that a duplicate of anything before it would arrive before it.
                    String marker = hub.publishOk("topic", "/shared", "data", "m" + step);
                    for (int i = 0; i < N; i++) {
                        if (!open[i]) {
                            continue;
                        }
                        List<String> expected = new ArrayList<>(List.of(shared, item));
                        if (i % 2 == 0 || i % 3 == 0) {
                            expected.add(odd);
                        }
                        if (i % 2 == 0) {
                            expected.add(other);
                        }
                        expected.add(marker);
                        assertThat(subs[i].take(expected.size())).extracting(SseEvent::id)
                                .as("subscriber %d after %s left", i, order.subList(0, step))
                                .containsExactlyElementsOf(expected);
                    }
                }
            } finally {
                for (SseStream s : subs) {
                    if (s != null) {
                        s.close();
                    }
                }
            }
        }
    }
}
