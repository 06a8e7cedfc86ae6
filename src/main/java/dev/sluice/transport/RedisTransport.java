package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.topic.Update;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log is one Redis stream; every node appends to it and tails it.
 *
 * <p>Publishing is an {@code XADD} (with {@code MAXLEN ~}) on a shared connection, asynchronous,
 * acknowledged only once Redis answered; a failure or a timeout ({@code --redis-timeout}) fails
 * the publish with {@link TransportUnavailableException}. The XADDs one event loop makes in one
 * pass are pipelined in one write ({@link PublishBatcher}), each still answered by its own reply. Commands are refused at once while the
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

    private final RedisConnector redis;
    private final String where;
    private final String stream;
    private final int historySize;
    private final long maxLen;
    private final Duration maxAge;
    private final Duration timeout;
    private final RedisGaps gaps;
    /** {@code MAXLEN ~ maxLen} and the id {@code *} of every XADD; only read once built. */
    private final XAddArgs trimming;
    private final PublishBatcher batcher;

    private volatile StatefulRedisConnection<String, byte[]> pub;
    private volatile StatefulRedisConnection<String, byte[]> tailConnection;
    /** What this node has read: stream entry ids, the last one delivered to the hub. */
    private volatile LogTail<StreamEntries.Id> tail;
    private volatile boolean running;
    private volatile boolean tailHealthy;
    private Thread tailThread;
    private final AtomicLong tailErrors = new AtomicLong();
    private long lastAgeTrimNanos;

    RedisTransport(String spec, Config config) {
        this.redis = new RedisConnector(spec, config.redisTimeout());
        this.where = redis.where;
        this.stream = config.redisStream();
        this.historySize = config.historySize();
        this.maxLen = Math.max(config.historySize(), MIN_RETAINED);
        this.maxAge = config.historyMaxAge();
        this.timeout = config.redisTimeout();
        this.gaps = new RedisGaps(stream, where);
        this.trimming = new XAddArgs().maxlen(maxLen).approximateTrimming();
        // Lettuce times out each XADD itself (--redis-timeout), so the batches need no deadline.
        this.batcher = new PublishBatcher(this::send, Duration.ZERO, () -> null);
    }

    @Override
    public void start(Consumer<Update> sink) {
        tail = new LogTail<>("stream '" + stream + "'", sink, StreamEntries.Id.ZERO);
        try {
            pub = redis.connect(timeout);
            // The tail's XREAD blocks for BLOCK_MILLIS by design; its timeout must be longer.
            tailConnection = redis.connect(timeout.plusMillis(BLOCK_MILLIS));
            refuseCluster();
            loadHistory();
        } catch (RuntimeException e) {
            closeClient();
            throw e;
        }
        running = true;
        tailHealthy = true;
        tailThread = Thread.ofPlatform().name("sluice-redis-tail").daemon(true).start(this::tailLoop);
        log.info("redis transport: stream '{}' at {}, from entry {}", stream, where, tail.position());
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
            throw new ConfigException("--transport", "Redis at " + where + " is a Redis Cluster node. Without"
                    + " --partitions Sluice keeps its log in one stream key, which lives on a single shard (a hash tag"
                    + " cannot spread one key): use --partitions N (N streams, each on the node that serves its slot),"
                    + " or point --transport at a standalone primary (redis-sentinel://... for failover).");
        }
    }

    /**
     * Reads the last history-size entries, oldest first, into the sink; the tail continues after
     * them. Read in one transaction with the stream's counters, so the gap check knows how many
     * entries were ever added up to this position.
     */
    @SuppressWarnings("unchecked")
    private void loadHistory() {
        List<StreamMessage<String, byte[]>> newest;
        Object info;
        try {
            RedisCommands<String, byte[]> sync = tailConnection.sync();
            sync.multi();
            sync.xrevrange(stream, Range.unbounded(), Limit.from(Math.max(1, historySize)));
            sync.xinfoStream(stream);
            TransactionResult result = sync.exec();
            Object read = result.get(0);
            if (read instanceof RedisCommandExecutionException e) {
                throw e;
            }
            newest = (List<StreamMessage<String, byte[]>>) read;
            info = result.get(1);
        } catch (RedisCommandExecutionException e) {
            if (String.valueOf(e.getMessage()).startsWith("WRONGTYPE")) {
                throw new ConfigException("--redis-stream", "key '" + stream + "' at " + where
                        + " holds something other than a stream; choose another key");
            }
            throw new TransportUnavailableException("Redis at " + where + " refused to read '" + stream + "': "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new TransportUnavailableException("Redis at " + where + " is unreachable: " + Causes.rootMessage(e), e);
        }
        // The entries read end with the newest, so every entry ever added is at or before it.
        gaps.startAt(info instanceof List<?> l ? (List<Object>) l : null);
        if (newest.isEmpty()) {
            return;
        }
        if (historySize == 0) {
            tail.skipTo(StreamEntries.Id.parse(newest.get(0).getId()));
            return;
        }
        List<StreamMessage<String, byte[]>> oldestFirst = new ArrayList<>(newest);
        Collections.reverse(oldestFirst);
        for (StreamMessage<String, byte[]> m : oldestFirst) {
            deliver(m);
        }
    }

    private void deliver(StreamMessage<String, byte[]> m) {
        tail.deliver(StreamEntries.Id.parse(m.getId()), StreamEntries.update(m.getBody()));
        gaps.read();
    }

    /** One blocking read after the position (Lettuce's varargs of a generic type: one offset, safe). */
    @SuppressWarnings("unchecked")
    private List<StreamMessage<String, byte[]>> read(StreamEntries.Id position) {
        return tailConnection.sync().xread(XReadArgs.Builder.count(READ_BATCH).block(BLOCK_MILLIS),
                XReadArgs.StreamOffset.from(stream, position.toString()));
    }

    private void tailLoop() {
        long backoffMillis = 50;
        long outageStarted = 0;
        long lastGapCheck = System.nanoTime();
        boolean lagging = false;
        while (running) {
            try {
                StreamEntries.Id position = tail.position();
                List<StreamMessage<String, byte[]>> batch = read(position);
                long now = System.nanoTime();
                if (!tailHealthy || lagging || now - lastGapCheck > GAP_CHECK_NANOS) {
                    // Before delivering this batch, check that nothing between our position and
                    // it was trimmed away: after an outage, while behind, and every second.
                    gaps.check(tailConnection.sync(), batch, position);
                    lastGapCheck = now;
                }
                if (!tailHealthy) {
                    tailHealthy = true;
                    log.info("Redis at {} is reachable again after {} ms; reading the log from entry {}", where,
                            (now - outageStarted) / 1_000_000, position);
                }
                backoffMillis = 50;
                if (batch != null) {
                    for (StreamMessage<String, byte[]> m : batch) {
                        if (!running) {
                            return;
                        }
                        deliver(m);
                    }
                    lagging = batch.size() >= READ_BATCH;
                }
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
                            + " connected until it is back", where, Causes.rootMessage(e));
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

    @Override
    public CompletableFuture<Update> publish(Update update) {
        if (pub == null || !running) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("the Redis transport is not running"));
        }
        return batcher.publish(update);
    }

    /**
     * Writes a batch of publishes as pipelined XADDs in one dispatch: the client puts them on the
     * wire with one flush and Redis reads them in one go. Each entry is answered by its own
     * command's reply (or its own {@code --redis-timeout}); a connection that is down refuses them
     * all at once, as it did one by one.
     */
    private void send(PublishBatcher.Batch batch) {
        StatefulRedisConnection<String, byte[]> c = pub;
        if (c == null || !running) {
            batch.failAll(new TransportUnavailableException("the Redis transport is not running"));
            return;
        }
        List<RedisCommand<String, byte[], ?>> commands = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            int entry = i;
            CommandArgs<String, byte[]> args = new CommandArgs<>(RedisConnector.CODEC).addKey(stream);
            trimming.build(args);
            args.add(StreamEntries.fields(batch.update(i)));
            AsyncCommand<String, byte[], String> xadd = new AsyncCommand<>(
                    new Command<>(CommandType.XADD, new StatusOutput<>(RedisConnector.CODEC), args));
            xadd.whenComplete((id, failure) -> {
                if (failure == null) {
                    batch.stored(entry);
                } else {
                    batch.failed(entry, unavailable(failure));
                }
            });
            commands.add(xadd);
        }
        c.dispatch(commands);
    }

    private TransportUnavailableException unavailable(Throwable failure) {
        return redis.unavailable(failure, timeout);
    }

    @Override
    public CompletableFuture<Void> caughtUp() {
        StatefulRedisConnection<String, byte[]> c = pub;
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
            } else {
                tail.reached(StreamEntries.Id.parse(last.get(0).getId())).whenComplete((ok, never) -> done.complete(null));
            }
        });
        return done;
    }

    @Override
    public boolean isReady() {
        StatefulRedisConnection<String, byte[]> c = pub;
        return running && tailHealthy && c != null && c.isOpen();
    }

    @Override
    public String describe() {
        return "redis " + where + (redis.uri.getDatabase() != 0 ? "/" + redis.uri.getDatabase() : "") + " stream " + stream;
    }

    @Override
    public void bindMetrics(MeterRegistry registry) {
        FunctionCounter.builder("sluice_transport_log_gaps", gaps.gaps, AtomicLong::get)
                .description("Times this node found the shared log trimmed past its read position").register(registry);
        FunctionCounter.builder("sluice_transport_log_gap_updates", gaps.missedEntries, AtomicLong::get)
                .description("Updates trimmed from the shared log before this node read them").register(registry);
        FunctionCounter.builder("sluice_transport_read_errors", tailErrors, AtomicLong::get)
                .description("Failed reads of the shared log (each outage counts its retries)").register(registry);
        FunctionCounter.builder("sluice_transport_foreign_entries", this, t -> t.tail == null ? 0 : t.tail.foreignEntries())
                .description("Log entries that were not Sluice updates (skipped)").register(registry);
    }

    /** Number of times the log was found trimmed past this node's position. */
    public long logGaps() {
        return gaps.gaps.get();
    }

    /** Updates trimmed from the log before this node read them. */
    public long missedUpdates() {
        return gaps.missedEntries.get();
    }

    @Override
    public void close() {
        boolean wasRunning = running;
        running = false;
        StatefulRedisConnection<String, byte[]> t = tailConnection;
        tailConnection = null;
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
        if (tail != null) {
            tail.releaseAll();
        }
        closeClient();
    }

    private synchronized void closeClient() {
        StatefulRedisConnection<String, byte[]> p = pub;
        if (p != null) {
            p.close();
        }
        StatefulRedisConnection<String, byte[]> t = tailConnection;
        tailConnection = null;
        if (t != null) {
            t.close();
        }
        redis.shutdown();
    }
}
