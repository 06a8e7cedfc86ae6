package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.topic.Partitions;
import dev.sluice.topic.Update;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log split into N JetStream streams ({@code --partitions N}, N &gt; 1, with
 * {@code --transport nats://...}); placement and positions are described in {@link Partitions}.
 *
 * <p><b>Streams.</b> Partition {@code i} is the stream {@code STREAM-pI} on the subject
 * {@code SUBJECT.pI} ({@code --nats-stream}, {@code --nats-subject}), e.g. {@code SLUICE-p3} on
 * {@code sluice.log.p3}: a stream of its own, so that in a NATS cluster every partition has its own
 * leader, placed by JetStream wherever it likes. Each is created at start, or has its limits
 * brought in line, by {@link NatsStream}, as the single stream of {@link NatsTransport} is.
 *
 * <p><b>Positions.</b> The sequence part of a partition's position is the JetStream stream
 * sequence of the entry; the millisecond part is the time the partition's stream was created
 * (as JetStream reports it, the same to every client and kept across server restarts). Within
 * one stream every entry thus has the same millisecond part and positions compare by sequence;
 * a stream deleted and created again starts its sequences over at 1 under a later creation time,
 * so a position from before is older than all of its entries, as Redis entry ids would be.
 *
 * <p><b>Publishing</b> is one JetStream publish per partition the update's topics belong to (one
 * for most updates), in batches as {@link NatsTransport} writes them ({@link PublishBatcher});
 * the 200 comes once JetStream acknowledged every copy, a 503 as soon as one copy failed or was
 * not acknowledged within {@value NatsTransport#PUBLISH_TIMEOUT_MILLIS} ms.
 *
 * <p><b>Reading.</b> One ordered push consumer per partition that this node's subscribers need
 * ({@link #follow} / {@link #unfollow} count them), all delivered by one dispatcher thread
 * ({@code sluice-nats-partitions}'s consumers share it), so entries reach the hub one at a time,
 * in order within each partition, each with the node's position over every partition as its id.
 * A control thread starts and stops the consumers as the set of partitions needed changes. A
 * partition read for the first time starts with its newest history-size entries, which go to
 * history only for resumes; one read again after a pause first reads on from the last entry read
 * up to the end, so history holds each partition without holes. No subscriber of this node takes
 * those entries live: one that needs the partition is registered only once they are in history
 * ({@link #follow} completes after them).
 *
 * <p><b>Outages</b> are those of {@link NatsTransport}: jnats reconnects forever and re-creates
 * an ordered consumer from the last sequence it handed out; publishes get 503 meanwhile. A
 * partition whose stream was lost (a server restarted without its storage) is read again from
 * its first entry.
 */
final class PartitionedNatsTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(PartitionedNatsTransport.class);

    /** Longest pause of the control thread between two looks at what the partitions need. */
    static final long CONTROL_MILLIS = 100;

    private final Partitions partitions;
    private final NatsUrl url;
    private final String credsFile;
    private final String streamName;
    private final String subject;
    private final int historySize;
    private final Part[] parts;
    private final PublishBatcher batcher = new PublishBatcher(this::send,
            Duration.ofMillis(NatsTransport.PUBLISH_TIMEOUT_MILLIS),
            () -> NatsTransport.unavailable(new TimeoutException()));
    /**
     * Guards every partition's follower count, {@code reading} flag changes and start futures; the
     * control thread waits on it for work.
     */
    private final Object follow = new Object();
    /** Held while an entry goes to the hub: one at a time, and the position moves with it. */
    private final Object delivery = new Object();
    /** The node's position in each partition (under {@link #delivery}). */
    private final PartitionPositions positions;

    private volatile Consumer<Update> sink;
    private volatile Connection nc;
    private volatile JetStream js;
    private volatile JetStreamManagement jsm;
    private volatile Dispatcher dispatcher;
    private volatile boolean started;
    private volatile boolean closed;
    /** Set on a reconnection: the control thread checks that the streams read are still the same ones. */
    private volatile boolean recheck;
    private Thread control;
    private final NatsConnectionEvents connectionEvents;
    private final AtomicLong readErrors = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();
    /** Entries that left a partition's stream before this node read them (written under {@link #delivery}). */
    private volatile long skipped;

    /** One partition: its stream, who needs it, and how far this node has read it. */
    private static final class Part extends FollowedPartition {
        final String streamName;
        final String subject;
        final NatsStream stream;
        final PublishOptions publishOptions;
        /** The consumer, or null (written by the control thread). */
        volatile JetStreamSubscription sub;
        /** Creation time of the stream, in ms: the millisecond part of its positions. */
        volatile long epoch = -1;
        /** Stream sequence of the last entry read, or -1 before the first read (written under delivery). */
        volatile long position = -1;
        /** The next entry read starts the partition: a sequence jump before it is no gap. */
        boolean fresh;
        /** Waiters for a resume position; sequences of delivered entries. */
        final LogTail<Long> tail;

        Part(int index, String streamName, String subject, NatsStream stream) {
            super(index);
            this.streamName = streamName;
            this.subject = subject;
            this.stream = stream;
            this.publishOptions = PublishOptions.builder().expectedStream(streamName).build();
            this.tail = new LogTail<>("NATS stream " + streamName, u -> { }, 0L);
        }

        @Override
        void releaseWaiters() {
            tail.releaseAll();
        }
    }

    private PartitionedNatsTransport(Config config, NatsUrl url) {
        this.partitions = new Partitions(config.partitions());
        this.url = url;
        this.connectionEvents = new NatsConnectionEvents(log, url, this::afterReconnect);
        this.credsFile = config.natsCreds();
        this.streamName = config.natsStream();
        this.subject = config.natsSubject();
        this.historySize = config.historySize();
        int n = partitions.count();
        this.parts = new Part[n];
        this.positions = new PartitionPositions(n);
        for (int p = 0; p < n; p++) {
            String name = streamName(streamName, p);
            String subj = subject(subject, p);
            parts[p] = new Part(p, name, subj, new NatsStream(name, subj, historySize, config.historyMaxAge()));
        }
    }

    /** Validates the URL and options; connects in {@link #start}. */
    static PartitionedNatsTransport open(Config config) {
        return new PartitionedNatsTransport(config, NatsTransport.url(config));
    }

    /** The stream of partition {@code p}. */
    static String streamName(String stream, int p) {
        return stream + "-p" + p;
    }

    /** The subject of partition {@code p}. */
    static String subject(String subject, int p) {
        return subject + ".p" + p;
    }

    @Override
    public void start(Consumer<Update> sink) throws Exception {
        this.sink = sink;
        try {
            nc = Nats.connect(NatsTransport.options(url, credsFile, connectionEvents::on, () -> closed));
        } catch (IOException e) {
            throw new TransportUnavailableException("cannot connect to NATS at " + url.display() + ": " + e.getMessage()
                    + " (is nats-server running with JetStream, -js?)", e);
        }
        try {
            JetStreamOptions jso = JetStreamOptions.builder().requestTimeout(NatsTransport.REQUEST_TIMEOUT).build();
            js = nc.jetStream(jso);
            jsm = nc.jetStreamManagement(jso);
            if (nc.getMaxPayload() < 64 * 1024) {
                log.warn("NATS max_payload is {} bytes: larger updates will be refused", nc.getMaxPayload());
            }
            for (Part part : parts) {
                part.epoch = createdMillis(part.stream.ensure(jsm));
            }
            dispatcher = nc.createDispatcher();
            started = true;
            control = Thread.ofPlatform().daemon().name("sluice-nats-partitions").start(this::controlLoop);
            log.info("NATS transport: {} partitions (streams {} ... {} on subjects {} ... {}) at {}", partitions.count(),
                    parts[0].streamName, parts[parts.length - 1].streamName, parts[0].subject,
                    parts[parts.length - 1].subject, url.display());
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private static long createdMillis(StreamInfo info) {
        return info.getCreateTime() == null ? 0 : info.getCreateTime().toInstant().toEpochMilli();
    }

    // --- which partitions are read ---

    @Override
    public CompletableFuture<Void> follow(long mask, Partitions.Position from) {
        long needed = mask & partitions.all();
        List<CompletableFuture<Void>> starts;
        synchronized (follow) {
            starts = FollowedPartition.follow(parts, needed);
            if (!starts.isEmpty()) {
                follow.notifyAll();
            }
        }
        // A resume position given by a node that may have read further than this one: wait until
        // this node has read as far in every partition needed. Another creation time is a position
        // in a stream that is gone (nothing to wait for) or in one this node has not seen yet (it
        // never reads that far before the limit).
        return FollowedPartition.ready(starts, parts.length, needed, from,
                p -> from.known(p) && from.millis()[p] == parts[p].epoch ? parts[p].tail.reached(from.seq()[p]) : null);
    }

    @Override
    public void unfollow(long mask) {
        synchronized (follow) {
            FollowedPartition.unfollow(parts, mask & partitions.all());
        }
    }

    /** The control thread: starts and stops the partitions' consumers as they are needed. */
    private void controlLoop() {
        long backoffMillis = 50;
        long failingSince = 0;
        while (!closed) {
            try {
                if (recheck) {
                    recheckStreams();
                    recheck = false;
                }
                startAndStop();
                if (failingSince != 0) {
                    log.info("reading the NATS partitions again after {} ms", (System.nanoTime() - failingSince) / 1_000_000);
                    failingSince = 0;
                }
                backoffMillis = 50;
                synchronized (follow) {
                    if (!anyToStart() && !recheck) {
                        follow.wait(CONTROL_MILLIS);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                readErrors.incrementAndGet();
                if (failingSince == 0) {
                    failingSince = System.nanoTime();
                    log.warn("cannot start reading NATS partitions ({}); retrying; subscribers that need them wait",
                            Causes.rootMessage(e));
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

    /** Under the follow lock: a partition is needed and not read yet. */
    private boolean anyToStart() {
        for (Part part : parts) {
            if (part.followers > 0 && !part.reading) {
                return true;
            }
        }
        return false;
    }

    /**
     * Stops the consumers of partitions that lost their last follower, starts those of partitions
     * that gained one (all at once), and once each has read what its stream held, marks it read
     * and lets its waiting subscribers in.
     */
    private void startAndStop() throws Exception {
        List<Part> toStart = new ArrayList<>();
        for (Part part : parts) {
            boolean wanted;
            synchronized (follow) {
                wanted = part.followers > 0;
                if (!wanted && part.reading) {
                    // From now on a follower waits until the partition is read again (from the
                    // last entry read); what the consumer still hands over meanwhile only goes to history.
                    part.reading = false;
                    log.debug("no subscriber needs {} any more: not reading it", part.streamName);
                }
            }
            if (!wanted && part.sub != null) {
                stop(part);
            } else if (wanted && !part.reading) {
                toStart.add(part);
            }
        }
        if (toStart.isEmpty()) {
            return;
        }
        List<CompletableFuture<Void>> loaded = new ArrayList<>();
        for (Part part : toStart) {
            loaded.add(part.tail.reached(begin(part)));
        }
        try {
            CompletableFuture.allOf(loaded.toArray(CompletableFuture[]::new))
                    .get(NatsTransport.START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            for (Part part : toStart) {
                stop(part);
            }
            throw new TransportUnavailableException("could not read the partitions' entries within "
                    + NatsTransport.START_TIMEOUT.toSeconds() + " s", e);
        }
        for (Part part : toStart) {
            CompletableFuture<Void> waiting;
            synchronized (follow) {
                part.reading = true;
                waiting = part.started;
                part.started = null;
            }
            if (waiting != null) {
                waiting.complete(null);
            }
        }
    }

    /**
     * Starts the consumer of a partition: after the last entry read when it was read before, else
     * (or when its stream was created anew since) at its newest history-size entries. Returns the
     * stream's last sequence, which the consumer reaches before the partition counts as read.
     */
    private long begin(Part part) throws Exception {
        if (part.sub != null) {
            stop(part);
        }
        StreamInfo info = part.stream.ensure(jsm);
        long created = createdMillis(info);
        long first = Math.max(1, info.getStreamState().getFirstSequence());
        long last = info.getStreamState().getLastSequence();
        long from;
        synchronized (delivery) {
            if (part.position < 0 || created != part.epoch) {
                if (part.position >= 0) {
                    log.warn("NATS stream {} was created anew (this node had read up to entry {} of the former one);"
                            + " reading it from its first entry", part.streamName, part.position);
                    from = first;
                    // Covers every entry of the former stream, none of this one.
                    positions.set(part.index, created, 0);
                } else {
                    from = Math.max(first, last - historySize + 1);
                    if (historySize == 0 && last > 0) {
                        positions.set(part.index, created, last);
                    }
                }
                part.epoch = created;
                part.position = from - 1;
                part.fresh = true;
                part.tail.restartAt(from - 1);
            } else if (last < part.position) {
                // The same stream without its newest entries: a server that crashed before they
                // were on disk. This node delivered them; what is published now takes their
                // sequence numbers again, so reading goes on right after the stream's last entry.
                log.warn("NATS stream {} lost entries {}..{} in a server restart (this node had delivered them);"
                        + " reading on after entry {}", part.streamName, last + 1, part.position, last);
                part.position = last;
                part.tail.restartAt(last);
                from = last + 1;
            } else {
                from = part.position + 1;
            }
        }
        ConsumerConfiguration cc = ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.ByStartSequence)
                .startSequence(from).idleHeartbeat(NatsTransport.IDLE_HEARTBEAT).build();
        part.sub = js.subscribe(part.subject, dispatcher, m -> deliver(part, m), false,
                PushSubscribeOptions.builder().stream(part.streamName).ordered(true).configuration(cc).build());
        log.debug("reading {} from entry {} (its last is {})", part.streamName, from, last);
        return last;
    }

    private void stop(Part part) {
        JetStreamSubscription sub = part.sub;
        part.sub = null;
        Dispatcher d = dispatcher;
        if (sub != null && d != null) {
            try {
                d.unsubscribe(sub);
            } catch (RuntimeException ignored) {
                // the connection is down or closing; the server drops the consumer by itself
            }
        }
    }

    /**
     * After a reconnection: a partition whose stream is not the one read before (created anew,
     * e.g. by a server that lost its storage) stops being read, and is started again from its
     * first entry by {@link #begin}.
     */
    private void recheckStreams() throws Exception {
        for (Part part : parts) {
            if (part.position < 0) {
                continue;
            }
            StreamInfo info = part.stream.ensure(jsm);
            if (createdMillis(info) != part.epoch || info.getStreamState().getLastSequence() < part.position) {
                stop(part);
                synchronized (follow) {
                    part.reading = false;
                }
            }
        }
    }

    /** On the dispatcher thread: hands an entry to the hub with the node's position after it as its id. */
    private void deliver(Part part, Message m) {
        long seq;
        try {
            seq = m.metaData().streamSequence();
        } catch (RuntimeException e) {
            return; // not a JetStream message: nothing of the log
        }
        synchronized (delivery) {
            long at = part.position;
            if (seq <= at) {
                return; // read already (by a consumer this one replaced)
            }
            if (seq > at + 1 && !part.fresh) {
                skipped += seq - at - 1;
                log.warn("this node missed entries {}..{} of NATS stream {}: they left the stream before it read them"
                        + " ({} missed in all); --history-size may be too small for the lag", at + 1, seq - 1,
                        part.streamName, skipped);
            }
            part.fresh = false;
            part.entriesRead.incrementAndGet();
            Update u;
            try {
                u = UpdateCodec.decode(m.getData());
            } catch (IllegalArgumentException e) {
                u = null;
            }
            positions.deliver(part.index, part.epoch, seq, u, sink, foreign, log, "NATS stream " + part.streamName, seq);
            part.position = seq;
        }
        part.tail.skipTo(seq);
    }

    // --- publishing ---

    @Override
    public CompletableFuture<Update> publish(Update update) {
        if (!started || closed) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("the NATS transport is not running"));
        }
        Connection c = nc;
        if (c.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.failedFuture(NatsTransport.notConnected(url, c));
        }
        return batcher.publish(update);
    }

    /**
     * Publishes each update of a batch once per partition its topics belong to (see
     * {@link Partitions}); an update is stored once every copy is acknowledged, and fails with
     * the first copy that is not.
     */
    private void send(PublishBatcher.Batch batch) {
        Connection c = nc;
        if (!started || closed) {
            batch.failAll(new TransportUnavailableException("the NATS transport is not running"));
            return;
        }
        if (c.getStatus() != Connection.Status.CONNECTED) {
            batch.failAll(NatsTransport.notConnected(url, c));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            int entry = i;
            Update u = batch.update(i);
            long mask = partitions.ofTopics(u.topics());
            byte[] data;
            try {
                data = UpdateCodec.encode(u);
            } catch (RuntimeException e) {
                batch.failed(entry, NatsTransport.unavailable(e));
                continue;
            }
            AtomicInteger left = new AtomicInteger(Long.bitCount(mask));
            for (long m = mask; m != 0; m &= m - 1) {
                Part part = parts[Long.numberOfTrailingZeros(m)];
                CompletableFuture<PublishAck> ack;
                try {
                    ack = js.publishAsync(part.subject, data, part.publishOptions);
                } catch (RuntimeException e) { // e.g. larger than the server's max_payload, or buffer full
                    batch.failed(entry, NatsTransport.unavailable(e));
                    continue;
                }
                ack.whenComplete((stored, failure) -> {
                    if (failure != null) {
                        batch.failed(entry, NatsTransport.unavailable(failure));
                    } else if (left.decrementAndGet() == 0) {
                        batch.stored(entry);
                    }
                });
            }
        }
    }

    // --- state ---

    /** Completes once this node has read, in every partition it reads, what was there when called. */
    @Override
    public CompletableFuture<Void> caughtUp() {
        Connection c = nc;
        if (!started || closed || c.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("NATS is unreachable"));
        }
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Part part : parts) {
            if (!part.reading) {
                continue;
            }
            all.add(c.requestWithTimeout("$JS.API.STREAM.INFO." + part.streamName, null, NatsTransport.REQUEST_TIMEOUT)
                    .thenCompose(reply -> {
                        StreamInfo info = new StreamInfo(reply);
                        if (info.hasError()) {
                            throw new CompletionException(new TransportUnavailableException(
                                    "NATS stream " + part.streamName + ": " + info.getError()));
                        }
                        return part.tail.reached(info.getStreamState().getLastSequence());
                    }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    @Override
    public boolean isReady() {
        Connection c = nc;
        return started && !closed && c != null && c.getStatus() == Connection.Status.CONNECTED;
    }

    /** Partitions this node reads now: those needed, and any whose consumer is still being stopped. */
    int partitionsRead() {
        int n = 0;
        for (Part part : parts) {
            if (part.reading || part.sub != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String describe() {
        return url.display() + " (" + partitions.count() + " partitions, streams " + streamName(streamName, 0) + ".."
                + streamName(streamName, partitions.count() - 1) + ", subjects " + subject(subject, 0) + ".."
                + subject(subject, partitions.count() - 1) + ")";
    }

    /** The metrics of the partitioned Redis log, and the connection's of the NATS transport. */
    @Override
    public void bindMetrics(MeterRegistry registry) {
        FollowedPartition.bindMetrics(registry, parts, this::partitionsRead, readErrors, foreign);
        FunctionCounter.builder("sluice_transport_log_gap_updates", this, t -> t.skipped)
                .description("Updates that left the shared log before this node read them").register(registry);
        FunctionCounter.builder("sluice_transport_disconnects", connectionEvents.disconnects, AtomicLong::get)
                .description("Times the connection to the log's engine was lost").register(registry);
    }

    /** After a reconnection (see {@link NatsConnectionEvents}). */
    private void afterReconnect() {
        if (started && !closed) {
            recheck = true;
            synchronized (follow) {
                follow.notifyAll();
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread t = control;
        if (t != null) {
            t.interrupt();
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (follow) {
            FollowedPartition.closeAll(parts);
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
