package dev.sluice.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.topic.Update;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Two registries over one shared log kept in memory (every entry read by both, in one order), for
 * what the process test cannot stage: a log that refuses updates for a while, and the expiry by
 * lease of a node that stops renewing it.
 */
class SubscriptionRegistryTest {

    /** A shared log: appends under a lock and hands each entry to every registry in order. */
    private static final class Log {
        final List<SubscriptionRegistry> readers = new CopyOnWriteArrayList<>();
        final List<Update> entries = new CopyOnWriteArrayList<>();
        final AtomicBoolean down = new AtomicBoolean();
        final AtomicLong ids = new AtomicLong();

        Function<Update, CompletableFuture<?>> publisher() {
            return u -> {
                if (down.get()) {
                    return CompletableFuture.failedFuture(new IllegalStateException("log unreachable"));
                }
                synchronized (this) {
                    entries.add(u);
                    for (SubscriptionRegistry r : readers) {
                        r.observe(u);
                    }
                }
                return CompletableFuture.completedFuture(u);
            };
        }

        SubscriptionRegistry node(Duration lease) {
            SubscriptionRegistry r = new SubscriptionRegistry(publisher(), () -> "id-" + ids.incrementAndGet(), lease, 1000);
            readers.add(r);
            return r;
        }

        List<ActiveSubscription> events() {
            return entries.stream().filter(u -> u.canonicalTopic().startsWith(SubscriptionPaths.PREFIX))
                    .map(u -> MercureV0Json.parseEvent(u.data())).toList();
        }
    }

    @Test
    void eventsPublishedWhileTheLogWasDownArePublishedInTheirCurrentStateOnceItIsBack() {
        Log log = new Log();
        SubscriptionRegistry a = log.node(Duration.ofMillis(300));
        SubscriptionRegistry b = log.node(Duration.ofMillis(300));
        try {
            log.down.set(true);
            a.started("urn:s1", List.of("t1"), Map.of("k", "v"));
            a.started("urn:s2", List.of("t2"), null);
            a.ended("urn:s2", List.of("t2"), null); // started and ended while down
            assertThat(b.all()).isEmpty();
            log.down.set(false);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> b.one("t1", "urn:s1") != null);
            assertThat(b.one("t1", "urn:s1").payload()).isEqualTo(Map.of("k", "v"));
            assertThat(b.one("t2", "urn:s2")).isNull();
            // s2 never appears active: its waiting event was its end.
            assertThat(log.events()).noneMatch(e -> e.subscriber().equals("urn:s2") && e.active());
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void aNodeThatStopsRenewingItsLeaseHasItsSubscriptionsEndedOnce() {
        Log log = new Log();
        SubscriptionRegistry a = log.node(Duration.ofMillis(300));
        SubscriptionRegistry b = log.node(Duration.ofMillis(300));
        SubscriptionRegistry c = log.node(Duration.ofMillis(300));
        try {
            b.started("urn:gone", List.of("t1", "t2"), null);
            a.started("urn:stays", List.of("t1"), null);
            Awaitility.await().until(() -> a.tracked() == 3 && c.tracked() == 3);
            b.close(); // no more leases: as if it was killed
            log.readers.remove(b);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> a.tracked() == 1 && c.tracked() == 1);
            assertThat(a.one("t1", "urn:stays")).isNotNull();
            // Dropped by expiry on one node, or on reading the ends the other published first.
            assertThat(a.expired() + c.expired()).isGreaterThanOrEqualTo(2);
            // One live node announces the ends (the smaller identifier), each end once.
            Awaitility.await().until(() -> log.events().stream().filter(e -> !e.active()).count() == 2);
            Awaitility.await().pollDelay(Duration.ofMillis(700)).until(() -> true); // two more ticks of both
            assertThat(log.events().stream().filter(e -> !e.active()).count()).isEqualTo(2);
            assertThat(log.events().stream().filter(e -> !e.active()).map(ActiveSubscription::topic))
                    .containsExactlyInAnyOrder("t1", "t2");
        } finally {
            a.close();
            c.close();
        }
    }
}
