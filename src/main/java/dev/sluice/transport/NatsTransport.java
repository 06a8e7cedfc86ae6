package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.topic.Update;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamSubscription;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StreamInfo;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log in a NATS JetStream stream, shared by every node: {@code --transport nats://host:port}.
 *
 * <p><b>Stream.</b> One JetStream stream on one subject holds the log; {@link NatsStream} creates
 * it at start or brings its limits in line, and refuses one that cannot serve as the log.
 *
 * <p><b>Publishing.</b> An update is encoded by {@link UpdateCodec} into one message and
 * published asynchronously (the publishes one event loop makes in one pass are written together,
 * see {@link PublishBatcher}); the returned future completes on the PublishAck, which JetStream sends
 * once the entry is stored, so the HTTP 200 means "in the log". No Nats-Msg-Id is set: Mercure
 * lets publishers repeat ids and every update must be delivered, so deduplicating on the update
 * id would drop legitimate updates, and a per-request id would deduplicate nothing (a publisher's
 * retry is a new request). While the connection is not up, publishes fail at once; an ack that
 * does not come within {@value #PUBLISH_TIMEOUT_MILLIS} ms fails the publish too. Both are 503s;
 * the second one's message says the entry may still have been stored, as a timed-out request
 * always may.
 *
 * <p><b>Tail.</b> One platform thread reads the stream with an ordered push consumer (ephemeral,
 * flow-controlled, with idle heartbeats; jnats re-creates it after a gap or missed heartbeats,
 * e.g. after a reconnection, from the last sequence it handed out) and calls the sink, so the
 * sink sees one thread in stream-sequence order. Its {@link LogTail} remembers the last sequence
 * delivered; anything at or below it is dropped, so a consumer re-created around a message it had
 * already queued cannot deliver it twice. At start the last {@code --history-size} entries are
 * replayed before {@link #start} returns, so a node's history mirrors the log and a client can
 * resume on any node.
 *
 * <p><b>Outages.</b> jnats reconnects forever with a short capped backoff; meanwhile
 * {@link #isReady()} is false and publishes get 503, while subscribers stay connected and simply
 * receive nothing. After the reconnection the consumer continues after the last delivered
 * sequence. If the stream itself is gone (a NATS server restarted without its storage) it is
 * created again and the tail starts over at its first entry.
 */
public final class NatsTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(NatsTransport.class);

    static final long PUBLISH_TIMEOUT_MILLIS = 5_000;
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** The consumer's idle heartbeat; jnats re-creates it after three are missed. */
    static final Duration IDLE_HEARTBEAT = Duration.ofSeconds(1);

    private final NatsUrl url;
    private final String streamName;
    private final String subject;
    private final int historySize;
    private final NatsStream stream;
    private final String credsFile;
    private final String streamInfoSubject;
    private final PublishOptions publishOptions;
    private final PublishBatcher batcher = new PublishBatcher(this::send, Duration.ofMillis(PUBLISH_TIMEOUT_MILLIS),
            () -> unavailable(new TimeoutException()));
    /** Stream management on reconnection, off the jnats callback threads. */
    private final ExecutorService control = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("sluice-nats-control").factory());

    private volatile Connection nc;
    private volatile JetStream js;
    private volatile boolean started;
    private volatile boolean closed;
    private Thread tailThread;

    /** What this node has read: stream sequences, the last one delivered to the hub. */
    private volatile LogTail<Long> tail;
    /** When positive, the tail must start over at this sequence (the stream was re-created). */
    private volatile long restartAt = -1;
    /** When the stream read was created, as JetStream says: tells a stream created anew from one that lost entries. */
    private volatile java.time.ZonedDateTime streamCreated;
    /** Entries that left the stream before this node read them. Written by the tail thread only. */
    private volatile long skipped;
    private final NatsConnectionEvents connectionEvents;

    private NatsTransport(Config config, NatsUrl url) {
        this.url = url;
        this.connectionEvents = new NatsConnectionEvents(log, url, this::afterReconnect);
        this.streamName = config.natsStream();
        this.subject = config.natsSubject();
        this.historySize = config.historySize();
        this.stream = new NatsStream(streamName, subject, historySize, config.historyMaxAge());
        this.credsFile = config.natsCreds();
        this.streamInfoSubject = "$JS.API.STREAM.INFO." + streamName;
        this.publishOptions = PublishOptions.builder().expectedStream(streamName).build();
    }

    static boolean accepts(String spec) {
        return NatsUrl.accepts(spec);
    }

    /** Validates the URL and options; connects in {@link #start}. */
    static NatsTransport open(Config config) {
        return new NatsTransport(config, url(config));
    }

    /** The {@code --transport} URL, once {@code --nats-creds} (when given) is known to be readable. */
    static NatsUrl url(Config config) {
        NatsUrl url = NatsUrl.parse(config.transport().trim());
        if (config.natsCreds() != null && !java.nio.file.Files.isReadable(java.nio.file.Path.of(config.natsCreds()))) {
            throw new ConfigException("--nats-creds", "cannot read " + config.natsCreds());
        }
        return url;
    }

    private Options options() {
        return options(url, credsFile, connectionEvents::on, () -> closed);
    }

    /** How the NATS transports connect: reconnect forever with a short capped backoff, errors to the log. */
    static Options options(NatsUrl url, String credsFile, ConnectionListener listener, BooleanSupplier closed) {
        Options.Builder b = new Options.Builder()
                .servers(url.servers().toArray(String[]::new))
                .connectionName("sluice")
                .connectionTimeout(Duration.ofSeconds(3))
                .maxReconnects(-1)
                .reconnectDelayHandler(tries -> Duration.ofMillis(Math.min(1_000, 50L << Math.min(tries, 5))
                        + (long) (Math.random() * 100)))
                .pingInterval(Duration.ofSeconds(5))
                .maxPingsOut(3)
                // Requests (publishes awaiting their PublishAck) are not written and flushed one by
                // one: the writer sends whatever is queued in one write, so a batch is one write.
                .dontForceFlushOnRequest()
                .connectionListener(listener)
                .errorListener(new NatsErrorLog(closed));
        if (credsFile != null) {
            b.authHandler(Nats.credentials(credsFile));
        }
        return b.build();
    }

    @Override
    public void start(Consumer<Update> sink) throws Exception {
        try {
            nc = Nats.connect(options());
        } catch (IOException e) {
            throw new TransportUnavailableException("cannot connect to NATS at " + url.display() + ": " + e.getMessage()
                    + " (is nats-server running with JetStream, -js?)", e);
        }
        try {
            JetStreamOptions jso = JetStreamOptions.builder().requestTimeout(REQUEST_TIMEOUT).build();
            js = nc.jetStream(jso);
            if (nc.getMaxPayload() < 64 * 1024) {
                log.warn("NATS max_payload is {} bytes: larger updates will be refused", nc.getMaxPayload());
            }
            StreamInfo info = stream.ensure(nc.jetStreamManagement(jso));
            streamCreated = info.getCreateTime();
            long last = info.getStreamState().getLastSequence();
            long first = Math.max(1, info.getStreamState().getFirstSequence());
            long from = Math.max(first, last - historySize + 1);
            tail = new LogTail<>("NATS stream " + streamName, sink, from - 1);
            tailThread = Thread.ofPlatform().daemon().name("sluice-nats-tail").start(this::readLoop);
            try {
                tail.reached(last).get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new TransportUnavailableException("could not read the last " + (last - from + 1)
                        + " entries of stream " + streamName + " within " + START_TIMEOUT.toSeconds() + " s", e);
            }
            started = true;
            log.info("NATS stream {}: replayed entries {}..{}, now tailing", streamName, from, last);
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    // --- publishing ---

    @Override
    public CompletableFuture<Update> publish(Update update) {
        if (!started || closed) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("the NATS transport is not running"));
        }
        Connection c = nc;
        if (c.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.failedFuture(notConnected(c));
        }
        return batcher.publish(update);
    }

    /**
     * Hands a batch of publishes to the connection's writer, which puts everything queued on the
     * wire in one write (the connection does not flush per request, see {@link #options()}); each
     * entry is answered by its own PublishAck, or fails at the batch's deadline.
     */
    private void send(PublishBatcher.Batch batch) {
        Connection c = nc;
        if (!started || closed) {
            batch.failAll(new TransportUnavailableException("the NATS transport is not running"));
            return;
        }
        if (c.getStatus() != Connection.Status.CONNECTED) {
            batch.failAll(notConnected(c));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            int entry = i;
            CompletableFuture<PublishAck> ack;
            try {
                ack = js.publishAsync(subject, UpdateCodec.encode(batch.update(i)), publishOptions);
            } catch (RuntimeException e) { // e.g. larger than the server's max_payload, or buffer full
                batch.failed(entry, unavailable(e));
                continue;
            }
            ack.whenComplete((stored, failure) -> {
                if (failure == null) {
                    batch.stored(entry);
                } else {
                    batch.failed(entry, unavailable(failure));
                }
            });
        }
    }

    private TransportUnavailableException notConnected(Connection c) {
        return notConnected(url, c);
    }

    static TransportUnavailableException notConnected(NatsUrl url, Connection c) {
        return new TransportUnavailableException(
                "NATS at " + url.display() + " is unreachable (" + c.getStatus() + "); the update was not sent");
    }

    /** A publish JetStream did not acknowledge: a 503, saying whether it may still be stored. */
    static TransportUnavailableException unavailable(Throwable failure) {
        Throwable cause = Causes.unwrap(failure);
        if (cause instanceof TimeoutException) {
            return new TransportUnavailableException("NATS JetStream did not acknowledge it within "
                    + PUBLISH_TIMEOUT_MILLIS + " ms (it may still be stored)", cause);
        }
        return new TransportUnavailableException("NATS JetStream did not store it: " + cause.getMessage(), cause);
    }

    // --- the tail ---

    private void readLoop() {
        long failingSince = 0;
        while (!closed) {
            long restart = restartAt;
            if (restart > 0) {
                restartAt = -1;
                tail.restartAt(restart - 1);
            }
            JetStreamSubscription sub = null;
            try {
                sub = js.subscribe(subject, PushSubscribeOptions.builder().stream(streamName).ordered(true)
                        .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.ByStartSequence)
                                .startSequence(tail.position() + 1).idleHeartbeat(IDLE_HEARTBEAT).build())
                        .build());
                if (failingSince != 0) {
                    log.info("reading NATS stream {} again from entry {}", streamName, tail.position() + 1);
                    failingSince = 0;
                }
                while (!closed && restartAt < 0) {
                    Message m = sub.nextMessage(Duration.ofMillis(500));
                    if (m != null) {
                        deliver(m);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                if (failingSince == 0) {
                    failingSince = System.nanoTime();
                    log.warn("cannot read NATS stream {} ({}); retrying", streamName, e.toString());
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException ie) {
                    return;
                }
            } finally {
                if (sub != null && !closed) {
                    try {
                        sub.unsubscribe();
                    } catch (RuntimeException ignored) {
                        // the connection is down; the server drops the consumer by itself
                    }
                }
            }
        }
    }

    private void deliver(Message m) {
        long seq = m.metaData().streamSequence();
        long last = tail.position();
        if (seq <= last) {
            return; // delivered already, before the consumer was re-created
        }
        if (seq > last + 1 && started) {
            skipped += seq - last - 1;
            log.warn("this node missed NATS entries {}..{}: they left the stream before it read them"
                    + " ({} missed in all); --history-size may be too small for the lag", last + 1, seq - 1, skipped);
        }
        tail.deliver(seq, m.getData());
    }

    /**
     * Asks the stream for its last sequence (one request, never blocking the caller) and
     * completes once the tail has delivered up to it.
     */
    @Override
    public CompletableFuture<Void> caughtUp() {
        Connection c = nc;
        if (!started || closed || c.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("NATS is unreachable"));
        }
        return c.requestWithTimeout(streamInfoSubject, null, REQUEST_TIMEOUT).thenCompose(reply -> {
            StreamInfo info = new StreamInfo(reply);
            if (info.hasError()) {
                throw new CompletionException(new TransportUnavailableException(
                        "NATS stream " + streamName + ": " + info.getError()));
            }
            return tail.reached(info.getStreamState().getLastSequence());
        });
    }

    /**
     * Gaps and outages, named as the Redis transport's. The position is the stream sequence this
     * node has handed to its hub: the spread of it across nodes is their lag behind each other.
     */
    @Override
    public void bindMetrics(MeterRegistry registry) {
        FunctionCounter.builder("sluice_transport_log_gap_updates", this, t -> t.skipped)
                .description("Updates that left the shared log before this node read them").register(registry);
        FunctionCounter.builder("sluice_transport_disconnects", connectionEvents.disconnects, AtomicLong::get)
                .description("Times the connection to the log's engine was lost").register(registry);
        FunctionCounter.builder("sluice_transport_foreign_entries", this, t -> t.tail == null ? 0 : t.tail.foreignEntries())
                .description("Log entries that were not Sluice updates (skipped)").register(registry);
        Gauge.builder("sluice_transport_log_position", this, t -> t.tail == null ? 0 : t.tail.position())
                .description("Sequence number of the last log entry this node delivered to its hub").register(registry);
    }

    // --- connection events ---

    /** After a reconnection (see {@link NatsConnectionEvents}). */
    private void afterReconnect() {
        if (started && !closed) {
            control.execute(this::checkStreamAfterReconnect);
        }
    }

    /**
     * After a reconnection, a stream whose last entry is before this node's position: either a
     * server that restarted without its storage created it anew (another creation time: read it
     * from its first entry), or the same stream lost its newest entries in a crash before they were
     * on disk (this node delivered them; new updates take their sequence numbers again, so reading
     * goes on right after its last entry, with nothing delivered twice).
     */
    private void checkStreamAfterReconnect() {
        try {
            StreamInfo info = stream.ensure(nc.jetStreamManagement());
            long last = info.getStreamState().getLastSequence();
            if (last < tail.position()) {
                if (info.getCreateTime() != null && info.getCreateTime().equals(streamCreated)) {
                    log.warn("NATS stream {} lost entries {}..{} in a server restart (this node had delivered them);"
                            + " reading on after entry {}", streamName, last + 1, tail.position(), last);
                    restartAt = last + 1;
                } else {
                    log.warn("NATS stream {} was re-created (its last entry is {}, this node had read up to {});"
                            + " reading it from the start", streamName, last, tail.position());
                    restartAt = Math.max(1, info.getStreamState().getFirstSequence());
                }
                streamCreated = info.getCreateTime();
            }
        } catch (Exception e) {
            log.warn("could not check NATS stream {} after reconnecting: {}", streamName, e.toString());
        }
    }

    @Override
    public boolean isReady() {
        Connection c = nc;
        return started && !closed && c.getStatus() == Connection.Status.CONNECTED;
    }

    @Override
    public String describe() {
        return url.display() + " (stream " + streamName + ", subject " + subject + ")";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        control.shutdownNow();
        Thread t = tailThread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (tail != null) {
            tail.failAll(new TransportUnavailableException("the NATS transport is closed"));
        }
        Connection c = nc;
        if (c != null) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
