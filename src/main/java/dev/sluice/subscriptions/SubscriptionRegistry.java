package dev.sluice.subscriptions;

import dev.sluice.topic.Update;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active subscriptions of the whole cluster, kept by every node from the shared log.
 *
 * <p><b>Events.</b> When a stream opens, its node publishes one private subscription event per
 * topic selector (topic {@code /.well-known/mercure/subscriptions/{topic}/{subscriber}}, the
 * JSON-LD of {@link MercureV0Json}, {@code active: true}) through the transport, like any update;
 * when it ends, the same with {@code active: false}. Every node reads every entry of the log
 * ({@link #observe}, called by the transport's thread just before the hub takes the entry), so
 * each one keeps the same set: a node answers the API for every node. Nothing of this runs per
 * delivered event: one prefix check per update read from the log, and a few updates per stream
 * opened or closed.
 *
 * <p><b>Nodes that die.</b> A node killed without ending its streams never publishes their end.
 * So every node publishes a lease every third of {@code --subscription-lease} (a private update
 * on {@code /.well-known/mercure/sluice-nodes/{node}} of type {@value #LEASE_TYPE}, which no
 * {@code onmessage} handler sees), and a node's subscription events count as a sign of life too.
 * A node not heard from for a whole lease is dead: every node drops its subscriptions, and the
 * live node with the smallest identifier publishes their {@code active: false} events (if two
 * nodes disagree for a moment about who is alive, an end is published twice, which a reader of
 * events takes as the same end). Times are each node's own clock when it reads the entry, so
 * clocks need not agree. A node restarted gets a new identifier; its old self expires like any
 * dead node.
 *
 * <p><b>What a node knows.</b> A node started after others learns of their subscriptions from
 * the part of the log it reads at start ({@code --history-size} entries): a subscription whose
 * start has been trimmed from the log is not listed by nodes started after that (the node holding
 * it still lists it and still publishes its end). Keep the history larger than the number of
 * subscription changes between restarts, or restart nodes one at a time.
 *
 * <p><b>Publishes that fail.</b> While the transport cannot take updates, the events of this
 * node's own subscriptions wait, and on each lease tick the current state of each waiting one is
 * published again, so the cluster's view converges once the log is back.
 *
 * <p>At most {@code max} subscriptions are tracked; past that new ones are counted, not listed.
 */
public final class SubscriptionRegistry implements AutoCloseable {

    /** Event type of leases. */
    public static final String LEASE_TYPE = "sluice-node-lease";
    /** Topic prefix of leases. */
    public static final String LEASE_PREFIX = "/.well-known/mercure/sluice-nodes/";

    private static final Logger log = LoggerFactory.getLogger(SubscriptionRegistry.class);

    private final String node = "urn:uuid:" + UUID.randomUUID();
    private final Function<Update, CompletableFuture<?>> publish;
    private final Supplier<String> ids;
    private final long leaseNanos;
    private final int max;
    /** The cluster's active subscriptions, by path. */
    private final Map<String, ActiveSubscription> all = new ConcurrentHashMap<>();
    /** Nodes, by identifier: when this node last read a sign of life from each (System.nanoTime). */
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
    /** This node's own subscriptions, by path: the truth its events describe. */
    private final Map<String, ActiveSubscription> own = new ConcurrentHashMap<>();
    /** Own subscriptions whose last event could not be published, by path: their current state. */
    private final Map<String, ActiveSubscription> unpublished = new ConcurrentHashMap<>();
    private final AtomicLong untracked = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final ScheduledExecutorService timer;

    /**
     * @param publish  how an update goes into the log (the transport's publish)
     * @param ids      update ids
     * @param lease    how long a silent node's subscriptions live on
     * @param max      most subscriptions tracked
     */
    public SubscriptionRegistry(Function<Update, CompletableFuture<?>> publish, Supplier<String> ids, Duration lease,
                                int max) {
        this.publish = publish;
        this.ids = ids;
        this.leaseNanos = lease.toNanos();
        this.max = max;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-subscriptions");
            t.setDaemon(true);
            return t;
        });
        long tick = Math.max(100, lease.toMillis() / 3);
        timer.scheduleAtFixedRate(this::tick, 0, tick, TimeUnit.MILLISECONDS);
    }

    /** This node's identifier. */
    public String node() {
        return node;
    }

    /** A new subscriber identifier (one per stream, shared by its topics). */
    public String newSubscriber() {
        return "urn:uuid:" + UUID.randomUUID();
    }

    /** A stream opened: one event per topic selector. */
    public void started(String subscriber, List<String> topics, Object payload) {
        for (String topic : topics) {
            ActiveSubscription s = new ActiveSubscription(topic, subscriber, payload, true, node);
            own.put(s.key(), s);
            send(s);
        }
    }

    /** The stream ended: one event per topic selector. */
    public void ended(String subscriber, List<String> topics, Object payload) {
        for (String topic : topics) {
            ActiveSubscription s = new ActiveSubscription(topic, subscriber, payload, false, node);
            own.remove(s.key());
            send(s);
        }
    }

    /** Mercure 1.0 subscriptions that opened (each with its matcher type, match and payload). */
    public void started(List<ActiveSubscription> subscriptions) {
        for (ActiveSubscription s : subscriptions) {
            own.put(s.key(), s);
            send(s);
        }
    }

    /** The same subscriptions ended. */
    public void ended(List<ActiveSubscription> subscriptions) {
        for (ActiveSubscription s : subscriptions) {
            ActiveSubscription end = s.ended();
            own.remove(end.key());
            send(end);
        }
    }

    /** The event of a subscription in its own dialect's shape; 1.0's under the SSE type {@code mercure}. */
    static Update eventUpdate(String id, ActiveSubscription s) {
        return s.v1()
                ? new Update(id, List.of(s.path()), MercureV1Json.event(s), true, MercureV1Json.EVENT_TYPE, -1)
                : new Update(id, List.of(s.path()), MercureV0Json.event(s), true, null, -1);
    }

    private void send(ActiveSubscription s) {
        Update u = eventUpdate(ids.get(), s);
        publish.apply(u).whenComplete((ok, failed) -> {
            if (failed != null) {
                // Whatever happened since, what waits is the current state of the subscription.
                String key = s.key();
                ActiveSubscription now = own.get(key);
                unpublished.put(key, now != null ? now : s.ended());
            }
        });
    }

    /**
     * Reads one entry of the log, before the hub takes it. Called by the transport's one thread,
     * in log order; cheap for every update that is not about subscriptions.
     */
    public void observe(Update u) {
        String topic = u.canonicalTopic();
        if (topic.startsWith(SubscriptionPaths.PREFIX)) {
            ActiveSubscription s = MercureV1Json.EVENT_TYPE.equals(u.type()) ? MercureV1Json.parseEvent(u.data())
                    : MercureV0Json.parseEvent(u.data());
            if (s == null || !topic.equals(s.path())) {
                return; // not one of ours: ignored
            }
            lastSeen.put(s.node(), System.nanoTime());
            if (s.active()) {
                if (all.size() >= max && !all.containsKey(s.key())) {
                    untracked.incrementAndGet();
                    return;
                }
                all.put(s.key(), s);
            } else {
                all.remove(s.key());
            }
        } else if (topic.startsWith(LEASE_PREFIX) && LEASE_TYPE.equals(u.type())) {
            lastSeen.put(topic.substring(LEASE_PREFIX.length()), System.nanoTime());
        }
    }

    /** Every lease period's third: a lease, the events that wait, and the end of dead nodes. */
    private void tick() {
        try {
            publish.apply(new Update(ids.get(), List.of(LEASE_PREFIX + node), "{\"node\":\"" + node + "\"}", true,
                    LEASE_TYPE, -1));
            for (String key : List.copyOf(unpublished.keySet())) {
                ActiveSubscription s = unpublished.remove(key);
                if (s != null) {
                    ActiveSubscription now = own.get(key);
                    send(now != null ? now : s.ended());
                }
            }
            expireDeadNodes();
        } catch (RuntimeException e) {
            log.warn("subscriptions: lease tick failed: {}", e.toString());
        }
    }

    private void expireDeadNodes() {
        long now = System.nanoTime();
        List<String> dead = new ArrayList<>();
        String smallestLive = node;
        for (Map.Entry<String, Long> e : lastSeen.entrySet()) {
            if (e.getKey().equals(node)) {
                continue;
            }
            if (now - e.getValue() > leaseNanos) {
                dead.add(e.getKey());
            } else if (e.getKey().compareTo(smallestLive) < 0) {
                smallestLive = e.getKey();
            }
        }
        if (dead.isEmpty()) {
            return;
        }
        boolean announce = smallestLive.equals(node);
        for (String d : dead) {
            lastSeen.remove(d);
            int n = 0;
            for (ActiveSubscription s : List.copyOf(all.values())) {
                if (s.node().equals(d) && all.remove(s.key(), s)) {
                    n++;
                    if (announce) {
                        ActiveSubscription end = s.ended();
                        publish.apply(eventUpdate(ids.get(), end));
                    }
                }
            }
            expired.addAndGet(n);
            if (n > 0) {
                log.info("subscriptions: node {} silent for over {} ms, its {} subscriptions ended{}", d,
                        TimeUnit.NANOSECONDS.toMillis(leaseNanos), n, announce ? " (this node announces it)" : "");
            }
        }
    }

    /** Every active subscription of the cluster. */
    public Collection<ActiveSubscription> all() {
        return List.copyOf(all.values());
    }

    /** The active subscriptions with exactly this topic selector. */
    public List<ActiveSubscription> byTopic(String topic) {
        List<ActiveSubscription> out = new ArrayList<>();
        for (ActiveSubscription s : all.values()) {
            if (!s.v1() && s.topic().equals(topic)) {
                out.add(s);
            }
        }
        return out;
    }

    /** The active Mercure 1.0 subscriptions with exactly this matcher. */
    public List<ActiveSubscription> byMatcher(String matchType, String match) {
        List<ActiveSubscription> out = new ArrayList<>();
        for (ActiveSubscription s : all.values()) {
            if (matchType.equals(s.matchType()) && s.topic().equals(match)) {
                out.add(s);
            }
        }
        return out;
    }

    /** One Mercure 1.0 subscription, or null when it is not active (anywhere in the cluster). */
    public ActiveSubscription one(String matchType, String match, String subscriber) {
        return all.get(SubscriptionPaths.of(matchType, match, subscriber));
    }

    /** One subscription, or null when it is not active (anywhere in the cluster). */
    public ActiveSubscription one(String topic, String subscriber) {
        return all.get(SubscriptionPaths.of(topic, subscriber));
    }

    public int tracked() {
        return all.size();
    }

    /** Subscriptions not listed because {@code --subscriptions-max} were tracked already. */
    public long untracked() {
        return untracked.get();
    }

    /** Subscriptions ended because their node went silent. */
    public long expired() {
        return expired.get();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
