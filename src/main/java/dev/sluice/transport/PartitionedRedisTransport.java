package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.topic.Partitions;
import dev.sluice.topic.Update;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log split into N Redis streams ({@code --partitions N}, N &gt; 1), spread over one or more
 * Redis servers; placement and positions are described in {@link Partitions}.
 *
 * <p><b>Keys.</b> Partition {@code i} is the stream {@code {STREAM-pI}} (STREAM is
 * {@code --redis-stream}), e.g. {@code {sluice:log-p3}}: the whole name is a Redis Cluster hash
 * tag, so each partition hashes on its own (partitions spread over a cluster's slots instead of
 * piling on the slot of a shared prefix), and anything ever kept beside a partition under the
 * same tag stays on that partition's slot. Partition {@code i} lives on server {@code i mod k},
 * server 0 being the {@code --transport} URL and 1..k-1 the {@code --redis-server} URLs in order.
 *
 * <p><b>Publishing</b> is one {@code XADD} per partition the update's topics belong to (one for
 * most updates), acknowledged once every copy is stored.
 *
 * <p><b>Reading.</b> One thread per Redis server ({@code sluice-redis-tail-K}, so a small fixed
 * number whatever N) reads, with one {@code XREAD BLOCK} over several keys, only the partitions
 * that this node's subscribers need ({@link #follow} / {@link #unfollow} count them). A partition
 * read for the first time starts with its newest history-size entries, which go to history only
 * for resumes; one read again after a pause
 * first reads on from the last entry read up to the end, so history holds each partition without
 * holes. No subscriber of this node takes those entries live: one that needs the partition is
 * registered only once they are in history ({@link #follow} completes after them). Entries go
 * to the hub one at a time under one lock, each with the node's position over every partition as
 * its id.
 */
final class PartitionedRedisTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(PartitionedRedisTransport.class);

    /** How long one XREAD waits for new entries: also how soon a newly needed partition is read. */
    static final long BLOCK_MILLIS = 100;

    private final Partitions partitions;
    private final String stream;
    private final int historySize;
    private final long maxLen;
    private final Duration maxAge;
    private final Duration timeout;
    private final List<Server> servers = new ArrayList<>();
    private final Part[] parts;
    private final Map<String, Part> byKey = new HashMap<>();
    /** Guards every partition's follower count, {@code reading} flag changes and start futures. */
    private final Object follow = new Object();
    /** Held while an entry goes to the hub: one at a time, and the position moves with it. */
    private final Object delivery = new Object();
    /** The node's position in each partition (under {@link #delivery}). */
    private final PartitionPositions positions;
    private volatile Consumer<Update> sink;
    private volatile boolean running;
    private final AtomicLong foreign = new AtomicLong();
    /**
     * With a Redis Cluster: the connector of the node given with {@code --transport}, through
     * which the cluster was found; its threads serve every node's connector. Null otherwise.
     */
    private RedisConnector clusterSeed;
    /** Cluster only: every node of the last slot table read, the seed first (for asking again). */
    private volatile List<io.lettuce.core.RedisURI> clusterNodes = List.of();
    private final AtomicLong readErrors = new AtomicLong();

    /** One Redis server: its connections and its reading thread. */
    private final class Server {
        final int index;
        /** Replaced only by the server's own thread, when a cluster moved its partition. */
        volatile RedisConnector redis;
        final List<Part> held = new ArrayList<>();
        /** Cluster only: a command to this node failed; its thread asks the cluster where the slot is now. */
        volatile boolean lost;
        long lastRelocationNanos;
        volatile StatefulRedisConnection<String, byte[]> pub;
        volatile StatefulRedisConnection<String, byte[]> tail;
        volatile boolean healthy = true;
        Thread thread;
        long lastAgeTrimNanos;

        Server(int index, String spec, Duration timeout) {
            this(index, new RedisConnector(spec, timeout));
        }

        Server(int index, RedisConnector redis) {
            this.index = index;
            this.redis = redis;
        }
    }

    /** One partition: its stream, who needs it, and how far this node has read it. */
    private static final class Part extends FollowedPartition {
        final String key;
        /** Set before the transport runs (a Redis Cluster's node is known only once connected). */
        Server server;
        /** Last entry read, or null before the first read (the server's thread). */
        volatile StreamEntries.Id position;
        /** Waiters for a resume position; positions of delivered entries. */
        final LogTail<StreamEntries.Id> tail;

        Part(int index, String key, Server server) {
            super(index);
            this.key = key;
            this.server = server;
            this.tail = new LogTail<>("stream '" + key + "'", u -> { }, StreamEntries.Id.ZERO);
        }

        @Override
        void releaseWaiters() {
            tail.releaseAll();
        }
    }

    PartitionedRedisTransport(String spec, Config config) {
        this.partitions = new Partitions(config.partitions());
        this.stream = config.redisStream();
        this.historySize = config.historySize();
        this.maxLen = Math.max(config.historySize(), RedisTransport.MIN_RETAINED);
        this.maxAge = config.historyMaxAge();
        this.timeout = config.redisTimeout();
        List<String> specs = new ArrayList<>();
        specs.add(spec);
        specs.addAll(config.redisServers());
        for (int i = 0; i < specs.size(); i++) {
            servers.add(new Server(i, specs.get(i), timeout));
        }
        int n = partitions.count();
        this.parts = new Part[n];
        this.positions = new PartitionPositions(n);
        for (int p = 0; p < n; p++) {
            Server s = servers.get(p % servers.size());
            parts[p] = new Part(p, key(stream, p), s);
            s.held.add(parts[p]);
            byKey.put(parts[p].key, parts[p]);
        }
    }

    /** The stream key of partition {@code p}: one hash tag per partition (see the class comment). */
    static String key(String stream, int p) {
        return "{" + stream + "-p" + p + "}";
    }

    @Override
    public void start(Consumer<Update> sink) {
        this.sink = sink;
        try {
            for (Server s : servers) {
                connect(s);
            }
            if (servers.size() == 1 && clusterEnabled(servers.get(0))) {
                spreadOverCluster(servers.get(0));
            } else {
                for (Server s : servers) {
                    refuseCluster(s);
                }
            }
        } catch (RuntimeException e) {
            closeClients();
            throw e;
        }
        running = true;
        for (Server s : servers) {
            s.thread = Thread.ofPlatform().name("sluice-redis-tail-" + s.index).daemon(true).start(() -> readLoop(s));
        }
        log.info("redis transport: {} partitions ({} ... {}) over {}", partitions.count(), parts[0].key,
                parts[parts.length - 1].key, servers.stream().map(s -> s.redis.where).collect(Collectors.joining(", ")));
    }

    private void connect(Server s) {
        s.pub = s.redis.connect(timeout);
        // The tail's XREAD blocks for BLOCK_MILLIS by design; its timeout must be longer.
        s.tail = s.redis.connect(timeout.plusMillis(BLOCK_MILLIS));
    }

    private static boolean clusterEnabled(Server s) {
        String info;
        try {
            info = s.pub.sync().info("cluster");
        } catch (RedisCommandExecutionException e) {
            return false; // INFO may be renamed or disabled; then it is taken as a standalone server
        }
        return info != null && info.contains("cluster_enabled:1");
    }

    /** Several servers given, one of them a cluster node: refused (the cluster finds its own nodes). */
    private void refuseCluster(Server s) {
        if (clusterEnabled(s)) {
            throw new ConfigException("--redis-server", "Redis at " + s.redis.where + " is a Redis Cluster node: with a"
                    + " cluster, give one of its nodes with --transport and no --redis-server; each partition then"
                    + " goes to the node that serves its slot.");
        }
    }

    /**
     * A Redis Cluster given with {@code --transport}: each partition's stream key is its own hash
     * tag, so it lives on one slot; the partition goes to the primary that serves that slot, as
     * the cluster's own table says at start. One reading thread and two connections per partition
     * (not per node as with standalone servers): a cluster node refuses an XREAD over keys of
     * different slots, even slots it serves. When a command to a partition's node fails later,
     * the partition's thread asks the cluster again ({@link #relocate}) and follows a slot that
     * moved (a resharding, or a replica that took over).
     */
    private void spreadOverCluster(Server seed) {
        io.lettuce.core.cluster.models.partitions.Partitions slots;
        try {
            slots = io.lettuce.core.cluster.models.partitions.ClusterPartitionParser.parse(seed.pub.sync().clusterNodes());
        } catch (RuntimeException e) {
            throw new TransportUnavailableException("Redis at " + seed.redis.where + " is a Redis Cluster node but did not"
                    + " answer CLUSTER NODES: " + Causes.rootMessage(e), e);
        }
        List<Server> perPartition = new ArrayList<>();
        StringBuilder where = new StringBuilder();
        try {
            for (Part part : parts) {
                int slot = io.lettuce.core.cluster.SlotHash.getSlot(part.key);
                io.lettuce.core.cluster.models.partitions.RedisClusterNode owner = slots.getMasterBySlot(slot);
                if (owner == null || owner.getUri() == null) {
                    throw new TransportUnavailableException("the Redis Cluster at " + seed.redis.where + " has no primary"
                            + " for slot " + slot + " (partition " + part.index + ", key '" + part.key + "'): assign every"
                            + " slot (CLUSTER INFO should say cluster_state:ok)");
                }
                Server s = new Server(part.index, new RedisConnector(seed.redis, owner.getUri().getHost(),
                        owner.getUri().getPort(), timeout));
                perPartition.add(s);
                s.held.add(part);
                connect(s);
                where.append(where.isEmpty() ? "" : ", ").append(part.index).append(" on ").append(s.redis.where)
                        .append(" (slot ").append(slot).append(')');
            }
        } catch (RuntimeException e) {
            for (Server s : perPartition) {
                closeConnections(s);
                s.redis.shutdown();
            }
            throw e;
        }
        for (Server s : perPartition) {
            s.held.get(0).server = s;
        }
        rememberNodes(seed.redis.uri, slots);
        closeConnections(seed);
        clusterSeed = seed.redis;
        servers.clear();
        servers.addAll(perPartition);
        log.info("redis transport: Redis Cluster at {}; partitions {}", seed.redis.where, where);
    }

    private void rememberNodes(io.lettuce.core.RedisURI first,
                               io.lettuce.core.cluster.models.partitions.Partitions slots) {
        List<io.lettuce.core.RedisURI> known = new ArrayList<>();
        known.add(first);
        for (io.lettuce.core.cluster.models.partitions.RedisClusterNode n : slots) {
            if (n.getUri() != null && !(n.getUri().getHost().equals(first.getHost()) && n.getUri().getPort() == first.getPort())) {
                known.add(n.getUri());
            }
        }
        clusterNodes = List.copyOf(known);
    }

    /**
     * Cluster only, on the server's thread after a command to its node failed (at most once a
     * second): asks the cluster's nodes, in turn, which primary serves the partition's slot now,
     * and moves the partition's connections there if that changed (a resharding moved the slot, or
     * a replica took over from a failed primary). Reading goes on from the partition's position:
     * the entries move with the key, or were replicated to the new primary. Publishes answered 503
     * meanwhile stay answered: the client publishes again.
     */
    private void relocate(Server s) {
        long now = System.nanoTime();
        if (s.lastRelocationNanos != 0 && now - s.lastRelocationNanos < 1_000_000_000L) {
            return;
        }
        s.lastRelocationNanos = now;
        Part part = s.held.get(0);
        int slot = io.lettuce.core.cluster.SlotHash.getSlot(part.key);
        io.lettuce.core.RedisURI owner = null;
        for (io.lettuce.core.RedisURI node : clusterNodes) {
            RedisConnector probe = new RedisConnector(clusterSeed, node.getHost(), node.getPort(), timeout);
            try (StatefulRedisConnection<String, byte[]> c = probe.connect(timeout)) {
                var slots = io.lettuce.core.cluster.models.partitions.ClusterPartitionParser.parse(c.sync().clusterNodes());
                var master = slots.getMasterBySlot(slot);
                if (master != null && master.getUri() != null) {
                    owner = master.getUri();
                    rememberNodes(node, slots);
                    break;
                }
            } catch (RuntimeException e) {
                log.debug("cluster node {}:{} did not give its slot table: {}", node.getHost(), node.getPort(),
                        Causes.rootMessage(e));
            } finally {
                probe.shutdown();
            }
        }
        if (owner == null) {
            return; // no node answered: tried again on the next failure
        }
        String where = owner.getHost() + ":" + owner.getPort();
        if (where.equals(s.redis.where)) {
            s.lost = false; // the slot did not move: an outage of its node, which reconnecting handles
            return;
        }
        RedisConnector next = new RedisConnector(clusterSeed, owner.getHost(), owner.getPort(), timeout);
        StatefulRedisConnection<String, byte[]> pub;
        StatefulRedisConnection<String, byte[]> tail;
        try {
            pub = next.connect(timeout);
            try {
                tail = next.connect(timeout.plusMillis(BLOCK_MILLIS));
            } catch (RuntimeException e) {
                pub.close();
                throw e;
            }
        } catch (RuntimeException e) {
            next.shutdown();
            log.warn("partition {} ({}) is now served by {}, which cannot be reached yet: {}", part.index, part.key,
                    where, Causes.rootMessage(e));
            return;
        }
        RedisConnector before = s.redis;
        StatefulRedisConnection<String, byte[]> oldPub = s.pub;
        StatefulRedisConnection<String, byte[]> oldTail = s.tail;
        s.redis = next;
        s.pub = pub;
        s.tail = tail;
        s.lost = false;
        if (oldPub != null) {
            oldPub.close();
        }
        if (oldTail != null) {
            oldTail.close();
        }
        before.shutdown();
        log.info("partition {} ({}, slot {}) moved from {} to {}: publishing and reading there from entry {}",
                part.index, part.key, slot, before.where, where, part.position);
    }

    private static void closeConnections(Server s) {
        StatefulRedisConnection<String, byte[]> p = s.pub;
        s.pub = null;
        if (p != null) {
            p.close();
        }
        StatefulRedisConnection<String, byte[]> t = s.tail;
        s.tail = null;
        if (t != null) {
            t.close();
        }
    }

    @Override
    public CompletableFuture<Void> follow(long mask, Partitions.Position from) {
        long needed = mask & partitions.all();
        List<CompletableFuture<Void>> starts;
        synchronized (follow) {
            starts = FollowedPartition.follow(parts, needed);
        }
        // A resume position given by a node that may have read further than this one: wait until
        // this node has read as far in every partition needed.
        return FollowedPartition.ready(starts, parts.length, needed, from, p -> from.known(p)
                ? parts[p].tail.reached(new StreamEntries.Id(from.millis()[p], from.seq()[p])) : null);
    }

    @Override
    public void unfollow(long mask) {
        synchronized (follow) {
            FollowedPartition.unfollow(parts, mask & partitions.all());
        }
    }

    /** The reading thread of one server: starts and stops partitions as needed, reads the others. */
    private void readLoop(Server s) {
        long backoffMillis = 50;
        long outageStarted = 0;
        while (running) {
            try {
                if (s.lost && clusterSeed != null) {
                    relocate(s);
                }
                List<Part> reading = startAndStop(s);
                if (reading.isEmpty()) {
                    Thread.sleep(BLOCK_MILLIS);
                    continue;
                }
                List<StreamMessage<String, byte[]>> batch = read(s, reading);
                if (!s.healthy) {
                    s.healthy = true;
                    log.info("Redis at {} is reachable again after {} ms", s.redis.where,
                            (System.nanoTime() - outageStarted) / 1_000_000);
                }
                backoffMillis = 50;
                if (batch != null) {
                    for (StreamMessage<String, byte[]> m : batch) {
                        if (!running) {
                            return;
                        }
                        Part part = byKey.get(m.getStream());
                        if (part != null) {
                            deliver(part, m);
                        }
                    }
                }
                trimByAge(s, reading);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                readErrors.incrementAndGet();
                if (clusterSeed != null) {
                    s.lost = true;
                }
                if (s.healthy) {
                    s.healthy = false;
                    outageStarted = System.nanoTime();
                    log.warn("Redis at {} is unreachable ({}); publishes to its partitions are answered 503 and"
                            + " subscribers stay connected until it is back", s.redis.where, Causes.rootMessage(e));
                }
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException ie) {
                    return;
                }
                backoffMillis = Math.min(1000, backoffMillis * 2);
            }
        }
    }

    /**
     * Starts reading the partitions of this server that gained followers (loading their history
     * first when never read), stops those that lost them; returns those to read now.
     */
    private List<Part> startAndStop(Server s) {
        List<Part> reading = new ArrayList<>();
        for (Part part : s.held) {
            boolean wanted;
            synchronized (follow) {
                wanted = part.followers > 0;
                if (!wanted && part.reading) {
                    part.reading = false;
                    log.debug("no subscriber needs {} any more: not reading it", part.key);
                }
            }
            if (wanted && !part.reading) {
                if (part.position == null) {
                    loadHistory(s, part);
                } else {
                    catchUp(s, part);
                }
                CompletableFuture<Void> started;
                synchronized (follow) {
                    part.reading = true;
                    started = part.started;
                    part.started = null;
                }
                if (started != null) {
                    started.complete(null);
                }
            }
            if (part.reading) {
                reading.add(part);
            }
        }
        return reading;
    }

    /**
     * The newest history-size entries of a partition never read before, oldest first, into
     * history only; reading continues after them.
     */
    private void loadHistory(Server s, Part part) {
        List<StreamMessage<String, byte[]>> newest;
        try {
            newest = s.tail.sync().xrevrange(part.key, Range.unbounded(), Limit.from(Math.max(1, historySize)));
        } catch (RedisCommandExecutionException e) {
            if (String.valueOf(e.getMessage()).startsWith("WRONGTYPE")) {
                log.error("key '{}' at {} holds something other than a stream; partition {} cannot be read",
                        part.key, s.redis.where, part.index);
            }
            throw e;
        }
        if (newest.isEmpty()) {
            part.position = StreamEntries.Id.ZERO;
            return;
        }
        if (historySize == 0) {
            StreamEntries.Id last = StreamEntries.Id.parse(newest.get(0).getId());
            synchronized (delivery) {
                positions.set(part.index, last.millis(), last.seq());
            }
            part.position = last;
            part.tail.skipTo(last);
            return;
        }
        List<StreamMessage<String, byte[]>> oldestFirst = new ArrayList<>(newest);
        Collections.reverse(oldestFirst);
        for (StreamMessage<String, byte[]> m : oldestFirst) {
            deliver(part, m);
        }
    }

    /**
     * Reads a partition read before, paused since (no subscriber needed it), up to its end, before
     * anyone waiting for it is registered: what was published meanwhile goes to history, not live
     * to a subscriber that arrives now. Bounded by the stream's length (MAXLEN).
     */
    @SuppressWarnings("unchecked")
    private void catchUp(Server s, Part part) {
        List<StreamMessage<String, byte[]>> batch;
        do {
            batch = s.tail.sync().xread(XReadArgs.Builder.count(RedisTransport.READ_BATCH),
                    XReadArgs.StreamOffset.from(part.key, part.position.toString()));
            if (batch != null) {
                for (StreamMessage<String, byte[]> m : batch) {
                    deliver(part, m);
                }
            }
        } while (running && batch != null && batch.size() >= RedisTransport.READ_BATCH);
    }

    /** One XREAD over every partition this server's thread reads, each after its own position. */
    @SuppressWarnings("unchecked")
    private List<StreamMessage<String, byte[]>> read(Server s, List<Part> reading) {
        XReadArgs.StreamOffset<String>[] offsets = new XReadArgs.StreamOffset[reading.size()];
        for (int i = 0; i < offsets.length; i++) {
            Part part = reading.get(i);
            offsets[i] = XReadArgs.StreamOffset.from(part.key, part.position.toString());
        }
        return s.tail.sync().xread(XReadArgs.Builder.count(RedisTransport.READ_BATCH).block(BLOCK_MILLIS), offsets);
    }

    /** Hands an entry to the hub with the node's position after it as its id. */
    private void deliver(Part part, StreamMessage<String, byte[]> m) {
        StreamEntries.Id at = StreamEntries.Id.parse(m.getId());
        Update u = StreamEntries.update(m.getBody());
        part.entriesRead.incrementAndGet();
        synchronized (delivery) {
            positions.deliver(part.index, at.millis(), at.seq(), u, sink, foreign, log, "stream '" + part.key + "'", at);
            part.position = at;
        }
        part.tail.skipTo(at);
    }

    private void trimByAge(Server s, List<Part> reading) {
        if (maxAge.isZero()) {
            return;
        }
        long now = System.nanoTime();
        if (now - s.lastAgeTrimNanos < 1_000_000_000L) {
            return;
        }
        s.lastAgeTrimNanos = now;
        String minId = (System.currentTimeMillis() - maxAge.toMillis()) + "-0";
        for (Part part : reading) {
            s.pub.async().xtrim(part.key, new XTrimArgs().minId(minId).exactTrimming());
        }
    }

    @Override
    public CompletableFuture<Update> publish(Update update) {
        if (!running) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("the Redis transport is not running"));
        }
        long mask = partitions.ofTopics(update.topics());
        Map<String, byte[]> fields = StreamEntries.fields(update);
        if (Long.bitCount(mask) == 1) {
            return append(parts[Long.numberOfTrailingZeros(mask)], fields).thenApply(ok -> update);
        }
        // Stored once in every partition one of its topics belongs to (see Partitions).
        List<CompletableFuture<Void>> copies = new ArrayList<>(Long.bitCount(mask));
        for (long m = mask; m != 0; m &= m - 1) {
            copies.add(append(parts[Long.numberOfTrailingZeros(m)], fields));
        }
        return CompletableFuture.allOf(copies.toArray(CompletableFuture[]::new)).thenApply(ok -> update);
    }

    private CompletableFuture<Void> append(Part part, Map<String, byte[]> fields) {
        Server s = part.server;
        StatefulRedisConnection<String, byte[]> c = s.pub;
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (c == null) {
            done.completeExceptionally(new TransportUnavailableException("the Redis transport is not running"));
            return done;
        }
        try {
            c.async().xadd(part.key, new XAddArgs().maxlen(maxLen).approximateTrimming(), fields)
                    .whenComplete((id, failure) -> {
                        if (failure == null) {
                            done.complete(null);
                        } else {
                            done.completeExceptionally(unavailable(s, failure));
                        }
                    });
        } catch (RuntimeException e) {
            done.completeExceptionally(unavailable(s, e));
        }
        return done;
    }

    private TransportUnavailableException unavailable(Server s, Throwable failure) {
        TransportUnavailableException e = s.redis.unavailable(failure, timeout);
        if (clusterSeed != null) {
            s.lost = true; // its thread asks the cluster where the partition's slot is now
        }
        return e;
    }

    /** Completes once this node has read, in every partition it reads, what was there when called. */
    @Override
    public CompletableFuture<Void> caughtUp() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Part part : parts) {
            if (!part.reading) {
                continue;
            }
            StatefulRedisConnection<String, byte[]> c = part.server.pub;
            if (c == null) {
                continue;
            }
            all.add(c.async().xrevrange(part.key, Range.unbounded(), Limit.from(1)).toCompletableFuture()
                    .thenCompose(last -> last.isEmpty() ? CompletableFuture.<Void>completedFuture(null)
                            : part.tail.reached(StreamEntries.Id.parse(last.get(0).getId()))));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    @Override
    public boolean isReady() {
        if (!running) {
            return false;
        }
        for (Server s : servers) {
            StatefulRedisConnection<String, byte[]> c = s.pub;
            if (!s.healthy || c == null || !c.isOpen()) {
                return false;
            }
        }
        return true;
    }

    /** Partitions this node reads now. */
    int partitionsRead() {
        int n = 0;
        for (Part part : parts) {
            if (part.reading) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String describe() {
        return "redis " + partitions.count() + " partitions over "
                + servers.stream().map(s -> s.redis.where).collect(Collectors.joining(",")) + " streams "
                + key(stream, 0) + ".." + key(stream, partitions.count() - 1);
    }

    @Override
    public void bindMetrics(MeterRegistry registry) {
        FollowedPartition.bindMetrics(registry, parts, this::partitionsRead, readErrors, foreign);
    }

    @Override
    public void close() {
        boolean wasRunning = running;
        running = false;
        for (Server s : servers) {
            StatefulRedisConnection<String, byte[]> t = s.tail;
            s.tail = null;
            if (t != null) {
                t.close(); // ends a blocked XREAD
            }
        }
        for (Server s : servers) {
            Thread th = s.thread;
            if (th != null && wasRunning) {
                th.interrupt();
                try {
                    th.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        synchronized (follow) {
            FollowedPartition.closeAll(parts);
        }
        closeClients();
    }

    private synchronized void closeClients() {
        for (Server s : servers) {
            closeConnections(s);
            s.redis.shutdown();
        }
        if (clusterSeed != null) {
            clusterSeed.shutdown(); // last: the other nodes' connectors share its threads
        }
    }
}
