package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.topic.Update;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log is one Redis stream; every node appends to it and tails it.
 *
 * <p>Publishing is an {@code XADD} (with {@code MAXLEN ~}) on a shared connection, asynchronous,
 * acknowledged only once Redis answered; a failure or a timeout ({@code --redis-timeout}) fails
 * the publish with {@link TransportUnavailableException}. Commands are refused at once while the
 * connection is down rather than buffered, so a publish answered 503 is not silently replayed
 * later when the connection comes back (a publish that timed out may still have been stored:
 * Redis may have taken it just before it stopped answering).
 *
 * <p>One thread per node ({@code sluice-redis-tail}) reads the stream with {@code XREAD BLOCK} on
 * its own connection and hands each entry to the sink, in stream order. It remembers the id of
 * the last entry delivered, so after an outage it continues exactly where it stopped: nothing
 * acknowledged is skipped unless Redis trimmed it away meanwhile, which is detected, logged and
 * counted ({@code sluice_transport_log_gaps}).
 */
public final class RedisTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(RedisTransport.class);

    /** Entries read per XREAD. */
    static final int READ_BATCH = 512;
    /** How long one XREAD waits for new entries. */
    static final long BLOCK_MILLIS = 1000;
    /**
     * The stream keeps at least this many entries whatever the history size, so a node that lags
     * a little (or a history size of 0) still reads every entry before it is trimmed.
     */
    static final int MIN_RETAINED = 1000;
    private static final long GAP_CHECK_NANOS = 1_000_000_000L;

    private final RedisURI uri;
    private final String where;
    private final String stream;
    private final int historySize;
    private final long maxLen;
    private final Duration maxAge;
    private final Duration timeout;
    private final ClientResources resources;
    private final RedisClient client;

    private volatile StatefulRedisConnection<String, String> pub;
    private volatile StatefulRedisConnection<String, String> tail;
    private volatile Consumer<Update> sink;
    private volatile boolean running;
    private volatile boolean tailHealthy;
    private Thread tailThread;
    /** Stream id of the last entry handed to the sink (written by the tail thread only). */
    private volatile String delivered = "0-0";
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>();
    private final AtomicLong gaps = new AtomicLong();
    private final AtomicLong missedEntries = new AtomicLong();
    /** How many entries were ever added to the stream up to {@link #delivered} (tail thread only). */
    private long addedUpTo;
    private final AtomicLong tailErrors = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private long lastAgeTrimNanos;
    private boolean clientClosed;

    private record Waiter(String target, CompletableFuture<Void> done) implements Comparable<Waiter> {
        @Override
        public int compareTo(Waiter o) {
            return StreamEntries.compare(target, o.target);
        }
    }

    RedisTransport(String spec, Config config) {
        RedisURI parsed;
        try {
            parsed = RedisURI.create(spec);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--transport", "'" + redact(spec) + "' is not a Redis URL: " + e.getMessage()
                    + " (use redis://[user:password@]host:port[/db], rediss://... or"
                    + " redis-sentinel://host:port[,host:port]/db?sentinelMasterId=NAME)");
        }
        this.uri = parsed;
        this.where = describeServer(parsed);
        this.stream = config.redisStream();
        this.historySize = config.historySize();
        this.maxLen = Math.max(config.historySize(), MIN_RETAINED);
        this.maxAge = config.historyMaxAge();
        this.timeout = config.redisTimeout();
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // Fail at once while disconnected: a buffered XADD answered 503 could be stored later.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled())
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build())
                .build());
    }

    private static String describeServer(RedisURI u) {
        if (u.getSentinelMasterId() != null && !u.getSentinels().isEmpty()) {
            return "master '" + u.getSentinelMasterId() + "' via sentinels " + u.getSentinels().stream()
                    .map(s -> s.getHost() + ":" + s.getPort()).collect(Collectors.joining(","));
        }
        return u.getHost() + ":" + u.getPort();
    }

    /** The URL without its password, for error messages. */
    private static String redact(String spec) {
        return spec.replaceAll("//[^@/]*@", "//***@");
    }

    @Override
    public void start(Consumer<Update> sink) {
        this.sink = sink;
        try {
            pub = client.connect(StringCodec.UTF8, uri);
            pub.setTimeout(timeout);
            tail = client.connect(StringCodec.UTF8, uri);
            // The tail's XREAD blocks for BLOCK_MILLIS by design; its timeout must be longer.
            tail.setTimeout(timeout.plusMillis(BLOCK_MILLIS));
        } catch (RuntimeException e) {
            closeClient();
            RedisCommandExecutionException refusal = findRefusal(e, 0);
            if (refusal != null) { // e.g. WRONGPASS, NOAUTH
                throw new TransportUnavailableException("Redis at " + where + " refused the connection: "
                        + refusal.getMessage(), e);
            }
            throw new TransportUnavailableException("Redis at " + where + " is unreachable: " + rootMessage(e), e);
        }
        try {
            refuseCluster();
            loadHistory();
        } catch (RuntimeException e) {
            closeClient();
            throw e;
        }
        running = true;
        tailHealthy = true;
        tailThread = Thread.ofPlatform().name("sluice-redis-tail").daemon(true).start(this::tailLoop);
        log.info("redis transport: stream '{}' at {}, from entry {}", stream, where, delivered);
    }

    /** An error answer from Redis among the causes (or suppressed exceptions) of a failed connect. */
    private static RedisCommandExecutionException findRefusal(Throwable t, int depth) {
        if (t == null || depth > 10) {
            return null;
        }
        if (t instanceof RedisCommandExecutionException r) {
            return r;
        }
        for (Throwable s : t.getSuppressed()) {
            RedisCommandExecutionException r = findRefusal(s, depth + 1);
            if (r != null) {
                return r;
            }
        }
        return t.getCause() == t ? null : findRefusal(t.getCause(), depth + 1);
    }

    /**
     * A Redis Cluster spreads keys over shards, but the log is one stream key, so it would live on
     * one shard anyway, and this client would get MOVED answers from the others. Refused clearly.
     */
    private void refuseCluster() {
        String info;
        try {
            info = pub.sync().info("cluster");
        } catch (RedisCommandExecutionException e) {
            return; // INFO may be renamed or disabled; nothing to learn
        }
        if (info != null && info.contains("cluster_enabled:1")) {
            throw new ConfigException("--transport", "Redis at " + where + " is a Redis Cluster node. Sluice keeps its"
                    + " log in one stream key, which lives on a single shard (a hash tag cannot spread one key), so a"
                    + " cluster adds nothing: point --transport at a standalone primary, or use"
                    + " redis-sentinel://... for failover.");
        }
    }

    /**
     * Reads the last history-size entries, oldest first, into the sink; the tail continues after
     * them. Read in one transaction with the stream's counters, so the gap check knows how many
     * entries were ever added up to this position.
     */
    @SuppressWarnings("unchecked")
    private void loadHistory() {
        List<StreamMessage<String, String>> newest;
        Object info;
        try {
            RedisCommands<String, String> sync = tail.sync();
            sync.multi();
            sync.xrevrange(stream, Range.unbounded(), Limit.from(Math.max(1, historySize)));
            sync.xinfoStream(stream);
            TransactionResult result = sync.exec();
            Object read = result.get(0);
            if (read instanceof RedisCommandExecutionException e) {
                throw e;
            }
            newest = (List<StreamMessage<String, String>>) read;
            info = result.get(1);
        } catch (RedisCommandExecutionException e) {
            if (String.valueOf(e.getMessage()).startsWith("WRONGTYPE")) {
                throw new ConfigException("--redis-stream", "key '" + stream + "' at " + where
                        + " holds something other than a stream; choose another key");
            }
            throw new TransportUnavailableException("Redis at " + where + " refused to read '" + stream + "': "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new TransportUnavailableException("Redis at " + where + " is unreachable: " + rootMessage(e), e);
        }
        // The entries read end with the newest, so every entry ever added is at or before it.
        addedUpTo = info instanceof List<?> l ? StreamInfo.of(l).entriesAdded : 0;
        if (newest.isEmpty()) {
            return;
        }
        if (historySize == 0) {
            delivered = newest.get(0).getId();
            return;
        }
        List<StreamMessage<String, String>> oldestFirst = new ArrayList<>(newest);
        Collections.reverse(oldestFirst);
        for (StreamMessage<String, String> m : oldestFirst) {
            deliver(m);
        }
    }

    /** The parts of XINFO STREAM the gap check needs; -1 / null when this Redis does not report them. */
    record StreamInfo(long length, long entriesAdded, String firstId) {
        static StreamInfo of(List<?> info) {
            long length = -1;
            long added = -1;
            String first = null;
            String recordedFirst = null;
            for (int i = 0; i + 1 < info.size(); i += 2) {
                String key = String.valueOf(info.get(i));
                Object value = info.get(i + 1);
                switch (key) {
                    case "length" -> length = ((Number) value).longValue();
                    case "entries-added" -> added = ((Number) value).longValue();
                    case "recorded-first-entry-id" -> recordedFirst = String.valueOf(value);
                    case "first-entry" -> {
                        if (value instanceof List<?> l && !l.isEmpty()) {
                            first = String.valueOf(l.get(0));
                        }
                    }
                    default -> { }
                }
            }
            return new StreamInfo(length, added, first != null ? first : recordedFirst);
        }
    }

    private void deliver(StreamMessage<String, String> m) {
        Update u = StreamEntries.update(m.getBody());
        if (u == null) {
            if (skipped.getAndIncrement() == 0) {
                log.warn("stream '{}' holds entry {} that is not a Sluice update; skipping such entries", stream, m.getId());
            }
        } else {
            try {
                sink.accept(u);
            } catch (RuntimeException e) {
                log.error("the hub could not take entry {} of stream '{}'", m.getId(), stream, e);
            }
        }
        delivered = m.getId();
        addedUpTo++;
    }

    private void tailLoop() {
        long backoffMillis = 50;
        long outageStarted = 0;
        long lastGapCheck = System.nanoTime();
        boolean lagging = false;
        while (running) {
            try {
                List<StreamMessage<String, String>> batch = tail.sync().xread(
                        XReadArgs.Builder.count(READ_BATCH).block(BLOCK_MILLIS),
                        XReadArgs.StreamOffset.from(stream, delivered));
                long now = System.nanoTime();
                if (!tailHealthy || lagging || now - lastGapCheck > GAP_CHECK_NANOS) {
                    // Before delivering this batch, check that nothing between our position and
                    // it was trimmed away: after an outage, while behind, and every second.
                    checkForGap(batch);
                    lastGapCheck = now;
                }
                if (!tailHealthy) {
                    tailHealthy = true;
                    log.info("Redis at {} is reachable again after {} ms; reading the log from entry {}", where,
                            (now - outageStarted) / 1_000_000, delivered);
                }
                backoffMillis = 50;
                if (batch != null) {
                    for (StreamMessage<String, String> m : batch) {
                        if (!running) {
                            return;
                        }
                        deliver(m);
                    }
                    lagging = batch.size() >= READ_BATCH;
                }
                releaseWaiters();
                trimByAge();
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                tailErrors.incrementAndGet();
                if (tailHealthy) {
                    tailHealthy = false;
                    outageStarted = System.nanoTime();
                    log.warn("Redis at {} is unreachable ({}); publishes are answered 503 and subscribers stay"
                            + " connected until it is back", where, rootMessage(e));
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
     * Finds out whether entries this node never read were trimmed away, before it delivers the
     * batch just read. Redis 7 counts every entry ever added to a stream; all but the current
     * length of them are older than the first entry left. If more of those than this node has
     * read (the batch's entries trimmed since they were read aside), the difference was trimmed
     * before this node got to it: counted and logged. The node goes on with the oldest entry
     * left; its subscribers miss the trimmed updates (other nodes' history may still hold them).
     * Assumes entries are only trimmed, never deleted from the middle (Sluice never does that).
     */
    private void checkForGap(List<StreamMessage<String, String>> batch) {
        List<Object> raw;
        try {
            raw = tail.sync().xinfoStream(stream);
        } catch (RedisCommandExecutionException e) {
            if (addedUpTo > 0) {
                gaps.incrementAndGet();
                log.warn("stream '{}' no longer exists at {} (Redis restarted without persistence, or the key was"
                        + " deleted): updates after entry {} that this node had not read yet are lost", stream, where,
                        delivered);
                addedUpTo = 0;
            }
            return;
        }
        StreamInfo info = StreamInfo.of(raw);
        if (info.entriesAdded < 0 || info.length < 0) {
            return; // Redis before 7 does not count; nothing reliable to say
        }
        long olderThanFirst = info.entriesAdded - info.length;
        if (info.entriesAdded < addedUpTo) {
            // The stream was created anew (Redis lost its data): count from its start.
            gaps.incrementAndGet();
            log.warn("stream '{}' at {} was recreated (Redis restarted without persistence?): updates this node had"
                    + " not read before are lost", stream, where);
            addedUpTo = olderThanFirst;
            return;
        }
        long readSinceTrimmed = 0;
        if (info.firstId != null && batch != null) {
            for (StreamMessage<String, String> m : batch) {
                if (StreamEntries.compare(m.getId(), info.firstId) < 0) {
                    readSinceTrimmed++;
                }
            }
        }
        long missed = olderThanFirst - readSinceTrimmed - addedUpTo;
        if (missed > 0) {
            gaps.incrementAndGet();
            missedEntries.addAndGet(missed);
            addedUpTo += missed;
            log.warn("stream '{}' was trimmed past this node's position (entry {}) before it read on: {} updates never"
                    + " reach its subscribers. Raise --history-size, or keep Redis reachable.", stream, delivered, missed);
        }
    }

    private void trimByAge() {
        if (maxAge.isZero()) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastAgeTrimNanos < 1_000_000_000L) {
            return;
        }
        lastAgeTrimNanos = now;
        String minId = (System.currentTimeMillis() - maxAge.toMillis()) + "-0";
        pub.async().xtrim(stream, new XTrimArgs().minId(minId).exactTrimming());
    }

    private void releaseWaiters() {
        String at = delivered;
        synchronized (waiters) {
            while (!waiters.isEmpty() && StreamEntries.compare(waiters.peek().target, at) <= 0) {
                waiters.poll().done.complete(null);
            }
        }
    }

    @Override
    public CompletableFuture<Update> publish(Update update) {
        StatefulRedisConnection<String, String> c = pub;
        if (c == null || !running) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("the Redis transport is not running"));
        }
        CompletableFuture<Update> done = new CompletableFuture<>();
        try {
            c.async().xadd(stream, new XAddArgs().maxlen(maxLen).approximateTrimming(), StreamEntries.fields(update))
                    .whenComplete((id, failure) -> {
                        if (failure == null) {
                            done.complete(update);
                        } else {
                            done.completeExceptionally(unavailable(failure));
                        }
                    });
        } catch (RuntimeException e) {
            done.completeExceptionally(unavailable(e));
        }
        return done;
    }

    private TransportUnavailableException unavailable(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof RedisCommandExecutionException) {
            return new TransportUnavailableException("Redis at " + where + " refused it: " + cause.getMessage(), cause);
        }
        if (cause instanceof RedisCommandTimeoutException) {
            return new TransportUnavailableException("Redis at " + where + " is unreachable: no answer within "
                    + timeout.toMillis() + " ms (--redis-timeout)", cause);
        }
        return new TransportUnavailableException("Redis at " + where + " is unreachable: " + rootMessage(cause), cause);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    @Override
    public CompletableFuture<Void> caughtUp() {
        StatefulRedisConnection<String, String> c = pub;
        if (c == null || !running) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        c.async().xrevrange(stream, Range.unbounded(), Limit.from(1)).whenComplete((last, failure) -> {
            if (failure != null) {
                done.completeExceptionally(unavailable(failure));
                return;
            }
            if (last.isEmpty()) {
                done.complete(null);
                return;
            }
            String target = last.get(0).getId();
            synchronized (waiters) {
                if (StreamEntries.compare(delivered, target) >= 0) {
                    done.complete(null);
                } else {
                    waiters.add(new Waiter(target, done));
                }
            }
        });
        return done;
    }

    @Override
    public boolean isReady() {
        StatefulRedisConnection<String, String> c = pub;
        return running && tailHealthy && c != null && c.isOpen();
    }

    @Override
    public String describe() {
        return "redis " + where + (uri.getDatabase() != 0 ? "/" + uri.getDatabase() : "") + " stream " + stream;
    }

    @Override
    public void bindMetrics(MeterRegistry registry) {
        FunctionCounter.builder("sluice_transport_log_gaps", gaps, AtomicLong::get)
                .description("Times this node found the shared log trimmed past its read position").register(registry);
        FunctionCounter.builder("sluice_transport_log_gap_updates", missedEntries, AtomicLong::get)
                .description("Updates trimmed from the shared log before this node read them").register(registry);
        FunctionCounter.builder("sluice_transport_read_errors", tailErrors, AtomicLong::get)
                .description("Failed reads of the shared log (each outage counts its retries)").register(registry);
        FunctionCounter.builder("sluice_transport_foreign_entries", skipped, AtomicLong::get)
                .description("Log entries that were not Sluice updates (skipped)").register(registry);
    }

    /** Number of times the log was found trimmed past this node's position. */
    public long logGaps() {
        return gaps.get();
    }

    /** Updates trimmed from the log before this node read them. */
    public long missedUpdates() {
        return missedEntries.get();
    }

    @Override
    public void close() {
        boolean wasRunning = running;
        running = false;
        StatefulRedisConnection<String, String> t = tail;
        tail = null;
        if (t != null) {
            t.close(); // ends a blocked XREAD
        }
        Thread th = tailThread;
        if (th != null && wasRunning) {
            th.interrupt();
            try {
                th.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (waiters) {
            waiters.forEach(w -> w.done.complete(null));
            waiters.clear();
        }
        closeClient();
    }

    private synchronized void closeClient() {
        if (clientClosed) {
            return;
        }
        clientClosed = true;
        StatefulRedisConnection<String, String> p = pub;
        if (p != null) {
            p.close();
        }
        StatefulRedisConnection<String, String> t = tail;
        tail = null;
        if (t != null) {
            t.close();
        }
        client.shutdown(0, 2, TimeUnit.SECONDS);
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
