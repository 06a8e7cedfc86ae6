package dev.sluice.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * One load-generator run against a gateway on this machine: connect the subscribers (paced),
 * publish on an open-loop schedule (warm-up, then the measured window), drain, and report.
 *
 * <p>Measurement: every update's data carries its topic, its per-topic sequence number and the
 * {@link System#nanoTime()} at which the schedule said it was due (same host, same clock), so a
 * receiver computes publish→receive latency, including any lag of the publisher itself
 * (coordinated omission is avoided: a late publish is charged its lateness). An update counts as
 * expected when the gateway acknowledged it with 200 and it was due inside the window; a
 * subscriber misses it when its bit is not set after the drain.
 *
 * <p>Bounds: the run stops by itself: every phase has a deadline, every loop a count, and a
 * watchdog ends the whole run at {@link BenchOptions#timeLimit()} (the report then says aborted).
 *
 * <p>Several processes ({@link BenchOptions#workers()}): this process is the coordinator. It
 * publishes (one schedule, so what is expected is defined once for the whole run) and observes
 * the gateways; the subscribers are held by worker processes it starts ({@link WorkerProcess},
 * {@link BenchWorker}), each with a share of the subscriber indexes and its own source addresses.
 * Which updates are measured, and the sequence number each topic's window starts at, follow from
 * the rate and warm-up alone ({@link #firstMeasured}), and the send time in each update is
 * {@code System.nanoTime()}, the machine's monotonic clock, which every process on it reads
 * alike; so a worker measures latency and sequence numbers exactly as the coordinator would.
 * After the window the coordinator sends every worker the acknowledged updates, each worker
 * counts its subscribers against them, and the coordinator adds the counts up.
 */
public final class Bench {

    private static final long MAX_PENDING_CONNECTS = 1000;
    private static final String TOPIC_PREFIX = "https://example.com/bench/";
    private static final String MARKET_PREFIX = "https://example.com/bench/market/";
    private static final ChannelInboundHandlerAdapter NO_HANDLER = new NoHandler();

    @io.netty.channel.ChannelHandler.Sharable
    private static final class NoHandler extends ChannelInboundHandlerAdapter {}

    /** What this process does in the run. */
    enum Role {
        /** Publishes, holds the subscribers and observes the gateways. */
        SINGLE,
        /** Publishes and observes; worker processes hold the subscribers. */
        COORDINATOR,
        /** Holds a share of the subscribers, as told by a coordinator. */
        WORKER
    }

    private final BenchOptions options;
    private final Role role;
    private final MultiThreadIoEventLoopGroup group;
    private final String io;
    private final EventLoop[] loops;
    private final LoopStats[] stats;
    private final InetSocketAddress[] remotes;
    private final String[] hostHeaders;
    private final String[] topicForm;
    private final String[] selectorForm;
    private final byte[][][] requests;
    private final String publisherAuthorization;
    /** Per topic, the sequence number of its first update due inside the window. */
    private final long[] measureBase;
    private final long firstMeasured;
    private final BitSet[] acked;
    private final List<SubscriberConnection> subscribers = new ArrayList<>();
    private final List<PublisherConnection> publishers = new ArrayList<>();
    private final AtomicInteger resolved = new AtomicInteger();
    private final AtomicLong churnBudget = new AtomicLong();
    private final AtomicLong churnOutcomes = new AtomicLong();
    private final Histogram schedulerLag = LoopStats.histogram();
    private final List<String> notes = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean draining;
    private volatile boolean aborted;
    private long publishAttempted;
    private double loadBefore = -1;
    private double machineBusy = -1;
    private double selfCpu = -1;
    private long loadRssKiB = -1;
    private final List<WorkerProcess> workers = new ArrayList<>();
    /** Coordinator: when the drain ends, for the workers as for the publishers (System.nanoTime()). */
    private long drainDeadline;

    private Bench(BenchOptions options, Role role) {
        this.options = options;
        this.role = role;
        IoHandlerFactory factory;
        Class<? extends SocketChannel> channelClass;
        if (Epoll.isAvailable()) {
            factory = EpollIoHandler.newFactory();
            channelClass = EpollSocketChannel.class;
            io = "epoll";
        } else {
            factory = NioIoHandler.newFactory();
            channelClass = NioSocketChannel.class;
            io = "nio";
        }
        group = new MultiThreadIoEventLoopGroup(options.threads(), factory);
        List<EventLoop> list = new ArrayList<>();
        for (EventExecutor e : group) {
            list.add((EventLoop) e);
        }
        loops = list.toArray(EventLoop[]::new);
        stats = new LoopStats[loops.length];
        for (int i = 0; i < stats.length; i++) {
            stats[i] = new LoopStats();
        }
        int targets = options.targets().size();
        remotes = new InetSocketAddress[targets];
        hostHeaders = new String[targets];
        for (int j = 0; j < targets; j++) {
            java.net.URI target = options.targets().get(j);
            int port = target.getPort() < 0 ? 80 : target.getPort();
            try {
                remotes[j] = new InetSocketAddress(InetAddress.getByName(target.getHost()), port);
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("--url host does not resolve: " + target.getHost());
            }
            hostHeaders[j] = target.getHost() + ":" + port;
        }
        int k = options.topics();
        boolean market = options.scenario() == BenchOptions.Scenario.MARKET;
        topicForm = new String[k];
        for (int t = 0; t < k; t++) {
            topicForm[t] = URLEncoder.encode(market ? MARKET_PREFIX + "g" + (t / BenchOptions.SYMBOLS_PER_GROUP) + "/" + t
                    : TOPIC_PREFIX + t, StandardCharsets.UTF_8);
        }
        // What a subscriber asks for: one topic, or (market) the URI template of one group of symbols.
        int g = options.groups();
        selectorForm = new String[g];
        requests = new byte[targets][g][];
        String token = options.subscriberToken();
        for (int i = 0; i < g; i++) {
            selectorForm[i] = market ? URLEncoder.encode(MARKET_PREFIX + "g" + i + "/{symbol}", StandardCharsets.UTF_8)
                    : topicForm[i];
            for (int j = 0; j < targets; j++) {
                requests[j][i] = SubscriberConnection.requestBytes(hostHeaders[j], selectorForm[i], token, null);
            }
        }
        publisherAuthorization = options.publisherToken() == null ? null : "Bearer " + options.publisherToken();
        firstMeasured = options.publishes() ? firstMeasured(options.rate(), options.warmup().toNanos()) : 0;
        measureBase = new long[k];
        acked = new BitSet[k];
        for (int t = 0; t < k; t++) {
            // Publish i goes to topic i % k as that topic's sequence number i / k: the topic's first
            // measured publish is the first i >= firstMeasured with i % k == t.
            long i = firstMeasured + Math.floorMod(t - firstMeasured, (long) k);
            measureBase[t] = i / k;
            acked[t] = new BitSet();
        }
        buildConnections(channelClass);
    }

    /**
     * Index of the first publish inside the window: publish i is due {@code (long) (i * 1e9 / rate)}
     * ns after the schedule's start, and it is measured when that is at least the warm-up. Depends
     * on nothing but the rate and the warm-up, so every process of a run computes the same.
     */
    static long firstMeasured(double rate, long warmupNanos) {
        if (rate <= 0 || warmupNanos <= 0) {
            return 0;
        }
        double interval = 1e9 / rate;
        long i = Math.max(0, (long) Math.floor(warmupNanos / interval) - 1);
        while ((long) (i * interval) < warmupNanos) {
            i++;
        }
        return i;
    }

    /** Runs the load described by the options and returns what was measured. */
    public static BenchReport run(BenchOptions options) throws InterruptedException {
        options.validate(GatewayProbe.fileLimit());
        Bench bench = new Bench(options, options.workers() > 0 ? Role.COORDINATOR : Role.SINGLE);
        try {
            return bench.execute();
        } finally {
            bench.shutdown();
        }
    }

    /**
     * A worker's part of a run: connects its subscribers, tells the coordinator, and counts what
     * they receive until the coordinator says stop. Returns null when the run ended without a
     * result to give (the coordinator went away).
     */
    static SubscriberTally runWorker(BenchOptions options, WorkerChannel channel) throws InterruptedException {
        options.validate(GatewayProbe.fileLimit());
        Bench bench = new Bench(options, Role.WORKER);
        try {
            return bench.workerPhases(channel);
        } finally {
            bench.shutdown();
        }
    }

    private void shutdown() {
        for (WorkerProcess w : workers) {
            w.destroy();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    // RCVBUF_ALLOCATOR is deprecated in Netty 4.2, but slow readers are measured with it: with
    // RECVBUF_ALLOCATOR instead, BenchTest's slow scenario reports missed events (not yet understood).
    @SuppressWarnings("deprecation")
    private void buildConnections(Class<? extends SocketChannel> channelClass) {
        int n = role == Role.COORDINATOR ? 0 : options.subscribers();
        if (options.scenario() == BenchOptions.Scenario.CHURN) {
            n = Math.min(n, options.cycles());
        }
        Bootstrap[] fast = new Bootstrap[loops.length];
        Bootstrap[] slow = new Bootstrap[loops.length];
        int slowChunk = Math.max(64, options.slowReadBytesPerSecond() / 10);
        for (int i = 0; i < loops.length; i++) {
            fast[i] = new Bootstrap().group(loops[i]).channel(channelClass)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(NO_HANDLER); // each connection adds its own handler once connected
            slow[i] = fast[i].clone()
                    .option(ChannelOption.SO_RCVBUF, 4096)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(slowChunk));
        }
        double share = options.scenario() == BenchOptions.Scenario.SLOW
                || options.scenario() == BenchOptions.Scenario.MARKET ? options.slowShare() : 0;
        List<InetAddress> sources = options.sourceAddresses();
        int targets = remotes.length;
        for (int i = 0; i < n; i++) {
            int l = i % loops.length;
            // Topic, target and slowness follow the run-wide index, so that a run split over
            // worker processes has the same subscribers as one in a single process.
            long index = (long) options.subscriberOffset() + i;
            boolean isSlow = Math.floor((index + 1) * share) > Math.floor(index * share);
            InetSocketAddress local = new InetSocketAddress(sources.get(i % sources.size()), 0);
            subscribers.add(new SubscriberConnection(this, (int) (index % options.groups()), (int) (index % targets),
                    isSlow, loops[l], isSlow ? slow[l] : fast[l], local, stats[l]));
        }
        if (options.publishes() && role != Role.WORKER) {
            // At least one connection per target, so that every gateway takes publishes.
            int p = Math.min(Math.max(options.publishConnections(), targets), options.topics());
            for (int i = 0; i < p; i++) {
                int l = i % loops.length;
                publishers.add(new PublisherConnection(this, i % targets, loops[l], fast[l], stats[l]));
            }
        }
    }

    // --- what the connections ask of the run ---

    BenchOptions options() {
        return options;
    }

    InetSocketAddress remote(int target) {
        return remotes[target];
    }

    String hostHeader(int target) {
        return hostHeaders[target];
    }

    /** The first topic a subscriber of this selector receives (market: its group's first symbol). */
    int firstTopic(int selector) {
        return options.scenario() == BenchOptions.Scenario.MARKET ? selector * BenchOptions.SYMBOLS_PER_GROUP
                : selector;
    }

    /** How many topics a subscriber of this selector receives. */
    int topicCount(int selector) {
        return options.scenario() == BenchOptions.Scenario.MARKET
                ? Math.min(BenchOptions.SYMBOLS_PER_GROUP, options.topics() - firstTopic(selector)) : 1;
    }

    String topicForm(int topic) {
        return topicForm[topic];
    }

    String publisherAuthorization() {
        return publisherAuthorization;
    }

    /** The subscribe request of a topic (market: of a group), resuming after {@code lastEventId} if given. */
    byte[] request(int target, int selector, String lastEventId) {
        return lastEventId == null ? requests[target][selector]
                : SubscriberConnection.requestBytes(hostHeaders[target], selectorForm[selector],
                        options.subscriberToken(), lastEventId);
    }

    long measureBase(int topic) {
        return measureBase[topic];
    }

    /** The acknowledged sequence numbers of a topic; written only on its publisher's loop. */
    BitSet acked(int topic) {
        return acked[topic];
    }

    boolean stopping() {
        return stopping;
    }

    boolean draining() {
        return draining;
    }

    /** A subscriber's first connection ended: opened or failed. */
    void resolved(boolean ok) {
        resolved.incrementAndGet();
    }

    /** Churn: one cycle ended (opened and closed, or failed). */
    void churnOutcome() {
        churnOutcomes.incrementAndGet();
    }

    /** Churn: takes one more cycle from the budget; false when it is used up or the run stops. */
    boolean takeChurnCycle() {
        return !stopping && churnBudget.getAndDecrement() > 0;
    }

    // --- the run ---

    private BenchReport execute() throws InterruptedException {
        long hardDeadline = System.nanoTime() + options.timeLimit().toNanos();
        Thread watchdog = startWatchdog(hardDeadline);
        try {
            return phases(hardDeadline);
        } finally {
            watchdog.interrupt();
        }
    }

    private Thread startWatchdog(long hardDeadline) {
        return Thread.ofPlatform().daemon().name("bench-watchdog").start(() -> {
            long left;
            while ((left = hardDeadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
            aborted = true;
            stopping = true;
        });
    }

    private BenchReport phases(long hardDeadline) throws InterruptedException {
        GatewayGroup probe = new GatewayGroup(options, notes);
        // A gateway that is busy (a loaded machine, a JVM still starting) gets a few tries.
        List<java.net.URI> down = probe.unhealthy();
        for (int attempt = 1; attempt < 4 && !down.isEmpty() && !stopping; attempt++) {
            LockSupport.parkNanos(500_000_000L);
            down = probe.unhealthy();
        }
        if (!down.isEmpty()) {
            throw new IllegalStateException("No gateway answers at " + down.get(0).resolve("/healthz")
                    + ": start one (./sluice serve --anonymous --listen 127.0.0.1:8080) or fix "
                    + (options.targets().size() > 1 ? "--targets." : "--url."));
        }
        long heapBefore = -1;
        double directBefore = -1;
        if (options.gcProbe()) {
            heapBefore = probe.liveHeapKiB();
            directBefore = direct(probe);
        }
        long rssBeforeConnect = probe.rssKiB();
        loadBefore = GatewayProbe.loadAverage();

        // Publishers first, so a failing token is seen before thousands of connections are open.
        for (PublisherConnection p : publishers) {
            Future<Future<Void>> started = onLoop(p.loop(), p::connect);
            if (started.awaitUninterruptibly(10, TimeUnit.SECONDS) && started.isSuccess()) {
                Future<Void> connected = started.getNow();
                if (!connected.awaitUninterruptibly(10, TimeUnit.SECONDS) || !connected.isSuccess()) {
                    notes.add("a publishing connection failed: " + connected.cause());
                }
            }
        }

        long connectStart = System.nanoTime();
        long churnStart = connectStart;
        if (options.scenario() == BenchOptions.Scenario.CHURN) {
            churnBudget.set(options.cycles() - subscribers.size());
        }
        double connectSeconds;
        if (role == Role.COORDINATOR) {
            startWorkers(hardDeadline);
            connectSeconds = (System.nanoTime() - connectStart) / 1e9;
        } else {
            connectAll(hardDeadline);
            connectSeconds = (System.nanoTime() - connectStart) / 1e9;
        }

        long rssAfterConnect = probe.rssKiB();
        long heapAfter = -1;
        double directAfter = -1;
        if (options.gcProbe() && options.scenario() != BenchOptions.Scenario.CHURN) {
            heapAfter = probe.liveHeapKiB();
            directAfter = direct(probe);
        }

        Thread publisher = null;
        long windowStart;
        long windowEnd;
        if (options.publishes() && !stopping) {
            long t0 = System.nanoTime() + 50_000_000L;
            long measureStart = t0 + options.warmup().toNanos();
            long end = measureStart + options.duration().toNanos();
            publisher = Thread.ofPlatform().name("bench-publisher").start(() -> publishLoop(t0, end));
            sleepUntil(measureStart);
            windowStart = System.nanoTime();
        } else {
            windowStart = System.nanoTime();
        }
        double[] cpuStart = probe.cpuTimes();
        double machineStart = GatewayProbe.machineBusySeconds();
        double selfStart = loadCpuSeconds();
        List<String> metricsStart = probe.metrics();
        long rssMax = probe.rssKiB();
        long healthOk = 0;
        long healthFailed = 0;
        double healthMax = 0;
        long windowDeadline = windowStart + options.duration().toNanos();
        while (!stopping && System.nanoTime() < windowDeadline) {
            if (options.scenario() == BenchOptions.Scenario.CHURN && churnOutcomes.get() >= options.cycles()) {
                break;
            }
            sleepUntil(Math.min(windowDeadline, System.nanoTime() + 1_000_000_000L));
            rssMax = Math.max(rssMax, probe.rssKiB());
            for (double h : probe.healthz()) {
                if (h < 0) {
                    healthFailed++;
                } else {
                    healthOk++;
                    healthMax = Math.max(healthMax, h);
                }
            }
        }
        if (publisher != null) {
            publisher.join(Math.max(1, (hardDeadline - System.nanoTime()) / 1_000_000));
        }
        windowEnd = System.nanoTime();
        if (options.scenario() == BenchOptions.Scenario.CHURN) {
            stopping = true;
        }

        BitSet[] sent = null;
        long expectedTotal;
        if (role == Role.COORDINATOR) {
            sent = options.publishes() ? awaitAcknowledgements(hardDeadline) : emptyAcked();
            expectedTotal = workersDrain(sent, hardDeadline);
        } else {
            expectedTotal = options.publishes() ? drain(hardDeadline) : 0;
        }
        double[] cpuEnd = probe.cpuTimes();
        machineBusy = machineStart < 0 ? -1 : GatewayProbe.machineBusySeconds() - machineStart;
        double selfEnd = loadCpuSeconds();
        selfCpu = selfStart < 0 || selfEnd < 0 ? -1 : selfEnd - selfStart;
        loadRssKiB = loadRssKiB();
        List<String> metricsEnd = probe.metrics();
        long rssEnd = probe.rssKiB();
        rssMax = Math.max(rssMax, rssEnd);
        double windowSeconds = (System.nanoTime() - windowStart) / 1e9;

        stopping = true;
        closeAll();
        BitSet[] windowAcked = options.publishes() ? windowAcked() : emptyAcked();
        SubscriberTally tally;
        if (role == Role.COORDINATOR) {
            if (!java.util.Arrays.equals(sent, windowAcked)) {
                notes.add("acknowledgements arrived after the workers were told what to expect; they counted"
                        + " against the earlier set");
            }
            tally = collectWorkers(sent);
        } else {
            tally = tally(windowAcked, connectSeconds);
        }
        return report(probe, tally, churnStart, windowEnd, windowSeconds, cpuStart, cpuEnd, metricsStart,
                metricsEnd, rssBeforeConnect, rssAfterConnect, rssEnd, rssMax, heapBefore, heapAfter, directBefore,
                directAfter, healthOk, healthFailed, healthMax, expectedTotal);
    }

    private static double direct(GatewayGroup probe) {
        return GatewayGroup.metric(probe.metrics(), "jvm_buffer_memory_used_bytes", "id=\"direct\"");
    }

    // --- a worker's part ---

    private SubscriberTally workerPhases(WorkerChannel channel) throws InterruptedException {
        long hardDeadline = System.nanoTime() + options.timeLimit().toNanos();
        Thread watchdog = startWatchdog(hardDeadline);
        try {
            long connectStart = System.nanoTime();
            connectAll(hardDeadline);
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
            long established = subscribers.stream().filter(SubscriberConnection::everOpened).count();
            channel.send(WorkerChannel.READY + " " + established);
            WorkerChannel.Drain drain = channel.awaitDrain(hardDeadline, () -> stopping);
            if (drain == null) {
                stopping = true;
                closeAll();
                return channel.coordinatorGone() ? null : tally(emptyAcked(), connectSeconds);
            }
            if (drain.acked().length != options.topics()) {
                throw new IllegalStateException("the coordinator sent " + drain.acked().length
                        + " topics' acknowledgements, this worker has " + options.topics());
            }
            draining = true;
            long expected = expectedOf(counts(drain.acked()));
            long deadline = Math.min(hardDeadline, drain.deadlineNanos());
            while (!stopping && System.nanoTime() < deadline && received() < expected) {
                LockSupport.parkNanos(50_000_000);
            }
            channel.send(WorkerChannel.DRAINED + " " + received() + " " + expected);
            channel.awaitStop(hardDeadline, () -> stopping);
            stopping = true;
            closeAll();
            if (channel.coordinatorGone()) {
                return null;
            }
            SubscriberTally t = tally(drain.acked(), connectSeconds);
            if (aborted) {
                t = t.plus(withNote("a worker reached its time limit before the coordinator said stop"));
            }
            return t;
        } finally {
            watchdog.interrupt();
        }
    }

    private static SubscriberTally withNote(String note) {
        SubscriberTally e = SubscriberTally.empty();
        return new SubscriberTally(0, 0, 0, 0, java.util.Map.of(), 0, 0, 0, e.connect(), e.latencyFast(),
                e.latencySlow(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of(note));
    }

    // --- the coordinator's side of its workers ---

    private void startWorkers(long hardDeadline) {
        int n = options.workers();
        try {
            for (int w = 0; w < n; w++) {
                workers.add(WorkerProcess.start(options, w));
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not start a worker process: " + e.getMessage());
        }
        long established = 0;
        for (WorkerProcess w : workers) {
            String ready = w.await(WorkerChannel.READY, hardDeadline, () -> stopping);
            if (ready == null) {
                String error = w.error();
                if (error != null) {
                    throw new IllegalStateException("worker " + w.index() + ": " + error);
                }
                notes.add("worker " + w.index() + " (subscribers " + w.offset() + "-" + (w.offset() + w.count() - 1)
                        + ") did not get ready" + w.exitDescription());
                continue;
            }
            established += Long.parseLong(ready.trim());
        }
        if (established < options.subscribers() && !stopping) {
            notes.add("the workers opened " + established + " of " + options.subscribers() + " subscribers");
        }
    }

    /** After the window: waits (drain time at most) until every publish is answered; the acknowledged set. */
    private BitSet[] awaitAcknowledgements(long hardDeadline) {
        draining = true;
        long deadline = Math.min(hardDeadline, System.nanoTime() + options.drain().toNanos());
        drainDeadline = deadline;
        awaitPublishers(deadline);
        return windowAcked();
    }

    /**
     * Tells every worker what was acknowledged and waits until each has all of it (or the drain
     * time is up). Returns the number of expected deliveries over all subscribers.
     */
    private long workersDrain(BitSet[] acked, long hardDeadline) {
        long deadline = drainDeadline == 0 ? Math.min(hardDeadline, System.nanoTime() + options.drain().toNanos())
                : drainDeadline;
        String message = WorkerChannel.drainMessage(deadline, acked);
        for (WorkerProcess w : workers) {
            w.send(message);
        }
        // A worker waits until the deadline at most; the answer may take a moment more.
        long answerBy = deadline + 10_000_000_000L;
        long expected = 0;
        for (WorkerProcess w : workers) {
            String drained = w.await(WorkerChannel.DRAINED, answerBy, () -> false);
            if (drained == null) {
                notes.add("worker " + w.index() + " did not finish draining" + w.exitDescription());
                continue;
            }
            // "received expected": expected over the worker's subscribers that opened.
            String[] counts = drained.trim().split(" ");
            expected += Long.parseLong(counts[counts.length - 1]);
        }
        return expected;
    }

    /** Tells the workers to stop and adds up their results; a worker without one counts all of its expected as missed. */
    private SubscriberTally collectWorkers(BitSet[] acked) {
        for (WorkerProcess w : workers) {
            w.send(WorkerChannel.STOP);
        }
        long resultsBy = System.nanoTime() + 60_000_000_000L;
        long[] perTopic = counts(acked);
        SubscriberTally total = SubscriberTally.empty();
        for (int i = 0; i < options.workers(); i++) {
            WorkerProcess w = i < workers.size() ? workers.get(i) : null;
            String result = w == null ? null : w.await(WorkerChannel.RESULT, resultsBy, () -> false);
            SubscriberTally t = null;
            String why = null;
            if (result != null) {
                try {
                    t = SubscriberTally.fromJson(result);
                } catch (IllegalArgumentException e) {
                    why = e.getMessage();
                }
            } else {
                why = "no result" + (w == null ? "" : w.exitDescription());
            }
            if (t == null) {
                int offset = options.workerOffset(i);
                int count = options.workerCount(i);
                long expected = 0;
                for (long g = offset; g < offset + count; g++) {
                    expected += expectedOfSelector((int) (g % options.groups()), perTopic);
                }
                aborted = true;
                t = SubscriberTally.lost(count, expected, "worker " + i + " (subscribers " + offset + "-"
                        + (offset + count - 1) + ") gave " + why + ": its " + count
                        + " subscribers count as having missed all " + expected + " expected updates");
            }
            total = total.plus(t);
        }
        return total;
    }

    /** CPU seconds of the load generator: this process and its workers, or -1. */
    private double loadCpuSeconds() {
        double sum = GatewayProbe.selfCpuSeconds();
        if (sum < 0) {
            return -1;
        }
        for (WorkerProcess w : workers) {
            double c = new GatewayProbe(w.pid(), null).cpuSeconds();
            if (c < 0) {
                return -1;
            }
            sum += c;
        }
        return sum;
    }

    /** Resident memory of the load generator (this process and its workers) in KiB, or -1. */
    private long loadRssKiB() {
        long sum = new GatewayProbe(ProcessHandle.current().pid(), null).rssKiB();
        if (sum < 0) {
            return -1;
        }
        for (WorkerProcess w : workers) {
            long r = new GatewayProbe(w.pid(), null).rssKiB();
            if (r < 0) {
                return -1;
            }
            sum += r;
        }
        return sum;
    }

    /** Opens every subscriber at the connect rate, at most {@value #MAX_PENDING_CONNECTS} pending. */
    private void connectAll(long hardDeadline) {
        int n = subscribers.size();
        double interval = 1e9 / options.connectRate();
        long start = System.nanoTime();
        for (int i = 0; i < n && !stopping; i++) {
            sleepUntil(start + (long) (i * interval));
            while (i - resolved.get() >= MAX_PENDING_CONNECTS && !stopping) {
                LockSupport.parkNanos(1_000_000);
            }
            SubscriberConnection s = subscribers.get(i);
            s.loop().execute(s::connect);
        }
        // Every connection has a 10 s connect timeout and the head comes right after: wait for all.
        long deadline = Math.min(hardDeadline, System.nanoTime() + 30_000_000_000L);
        while (resolved.get() < n && !stopping && System.nanoTime() < deadline) {
            LockSupport.parkNanos(5_000_000);
        }
        if (resolved.get() < n && !stopping) {
            notes.add((n - resolved.get()) + " subscriber connections were still pending 30 s after the last attempt");
        }
    }

    /** The open-loop schedule: publish i is due at t0 + i/rate, whatever happened to the others. */
    private void publishLoop(long t0, long end) {
        int k = options.topics();
        long[] nextSeq = new long[k];
        double interval = 1e9 / options.rate();
        int p = publishers.size();
        for (long i = 0; ; i++) {
            long due = t0 + (long) (i * interval);
            if (due >= end || stopping) {
                return;
            }
            sleepUntil(due);
            long lag = System.nanoTime() - due;
            int topic = (int) (i % k);
            long seq = nextSeq[topic]++;
            // Same as "due at or after t0 + warm-up"; see firstMeasured.
            boolean measured = i >= firstMeasured;
            if (measured) {
                publishAttempted++;
                LoopStats.record(schedulerLag, lag);
            }
            PublisherConnection c = publishers.get(topic % p);
            c.loop().execute(() -> c.publish(topic, seq, due, measured));
        }
    }

    private void awaitPublishers(long deadline) {
        while (!stopping && System.nanoTime() < deadline) {
            int inFlight = 0;
            for (PublisherConnection p : publishers) {
                Future<Integer> f = onLoop(p.loop(), p::inFlight);
                inFlight += f.awaitUninterruptibly(5, TimeUnit.SECONDS) && f.isSuccess() ? f.getNow() : 1;
            }
            if (inFlight == 0) {
                break;
            }
            LockSupport.parkNanos(20_000_000);
        }
    }

    /**
     * After the window: slow readers read at full speed, publishes are answered, and subscribers
     * get what is still on its way. Returns the number of expected (acknowledged, in-window)
     * deliveries once every subscriber has them all, or when the drain time is up.
     */
    private long drain(long hardDeadline) {
        draining = true;
        long deadline = Math.min(hardDeadline, System.nanoTime() + options.drain().toNanos());
        awaitPublishers(deadline);
        long expected = expectedOf(expectedPerTopic());
        while (!stopping && System.nanoTime() < deadline) {
            if (received() >= expected) {
                break;
            }
            LockSupport.parkNanos(50_000_000);
        }
        return expected;
    }

    /** Expected deliveries to this process's subscribers that opened, given the count per topic. */
    private long expectedOf(long[] perTopic) {
        long expected = 0;
        for (SubscriberConnection s : subscribers) {
            if (s.everOpened()) {
                expected += expectedOfSelector(s.topic, perTopic);
            }
        }
        return expected;
    }

    private long expectedOfSelector(int selector, long[] perTopic) {
        long n = 0;
        int first = firstTopic(selector);
        for (int t = 0; t < topicCount(selector); t++) {
            n += perTopic[first + t];
        }
        return n;
    }

    private static long[] counts(BitSet[] sets) {
        long[] out = new long[sets.length];
        for (int t = 0; t < sets.length; t++) {
            out[t] = sets[t].cardinality();
        }
        return out;
    }

    private BitSet[] emptyAcked() {
        BitSet[] out = new BitSet[options.topics()];
        for (int t = 0; t < out.length; t++) {
            out[t] = new BitSet();
        }
        return out;
    }

    private long received() {
        long total = 0;
        for (int l = 0; l < loops.length; l++) {
            final int loop = l;
            Future<Long> f = onLoop(loops[l], () -> {
                long n = 0;
                for (SubscriberConnection s : subscribers) {
                    if (s.loop() == loops[loop]) {
                        n += s.seenCount();
                    }
                }
                return n;
            });
            if (!f.awaitUninterruptibly(5, TimeUnit.SECONDS)) {
                return -1;
            }
            total += f.getNow();
        }
        return total;
    }

    /**
     * Acknowledged, in-window updates per topic (copied on the publishers' loops), as offsets
     * from the topic's measurement base.
     */
    private BitSet[] windowAcked() {
        BitSet[] out = new BitSet[options.topics()];
        for (int t = 0; t < out.length; t++) {
            final int topic = t;
            long base = measureBase[t];
            if (publishers.isEmpty()) {
                out[t] = new BitSet();
                continue;
            }
            PublisherConnection p = publishers.get(t % publishers.size());
            Future<BitSet> f = onLoop(p.loop(), () -> acked[topic].get((int) base, Math.max((int) base,
                    acked[topic].length())));
            out[t] = f.awaitUninterruptibly(5, TimeUnit.SECONDS) && f.isSuccess() ? f.getNow() : new BitSet();
        }
        return out;
    }

    private long[] expectedPerTopic() {
        return counts(windowAcked());
    }

    private void closeAll() {
        List<Future<?>> closing = new ArrayList<>();
        for (EventLoop loop : loops) {
            closing.add(onLoop(loop, () -> {
                for (SubscriberConnection s : subscribers) {
                    if (s.loop() == loop) {
                        s.close();
                    }
                }
                for (PublisherConnection p : publishers) {
                    if (p.loop() == loop) {
                        p.close();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : closing) {
            f.awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        // Let the close events run, then one more task per loop orders every write before our reads.
        LockSupport.parkNanos(200_000_000);
        for (EventLoop loop : loops) {
            onLoop(loop, () -> null).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    /**
     * What this process's subscribers saw, counted against the acknowledged in-window updates
     * ({@code windowAcked}, offsets from each topic's base). Call after {@link #closeAll()}.
     */
    private SubscriberTally tally(BitSet[] windowAcked, double connectSeconds) {
        LoopStats total = new LoopStats();
        for (LoopStats s : stats) {
            s.addTo(total);
        }
        boolean counting = options.publishes();
        long received = 0;
        long missed = 0;
        long duplicated = 0;
        long outOfOrder = 0;
        long unexpected = 0;
        long expected = 0;
        long opened = 0;
        int slowCount = 0;
        long slowMissed = 0;
        long slowDuplicated = 0;
        long slowEnds = 0;
        long fastMissed = 0;
        for (SubscriberConnection s : subscribers) {
            if (s.slow) {
                slowCount++;
                slowEnds += s.serverCloses;
            }
            if (!s.everOpened()) {
                continue;
            }
            opened++;
            if (!counting) {
                continue;
            }
            long m = 0;
            for (int t = 0; t < s.seen.length; t++) {
                BitSet want = windowAcked[s.firstTopic + t];
                BitSet miss = (BitSet) want.clone();
                miss.andNot(s.seen[t]);
                BitSet extra = (BitSet) s.seen[t].clone();
                extra.andNot(want);
                m += miss.cardinality();
                expected += want.cardinality();
                received += s.seen[t].cardinality();
                unexpected += extra.cardinality();
            }
            missed += m;
            duplicated += s.duplicates;
            outOfOrder += s.outOfOrder;
            if (s.slow) {
                slowMissed += m;
                slowDuplicated += s.duplicates;
            } else {
                fastMissed += m;
            }
        }
        List<String> tallyNotes = new ArrayList<>();
        if (role == Role.WORKER) {
            tallyNotes.addAll(notes);
        }
        return new SubscriberTally(subscribers.size(), opened, total.attempted, total.established, total.failures,
                total.reconnects, total.streamEnds, total.churnCycles, total.connect, total.latencyFast,
                total.latencySlow, expected, received, missed, duplicated, outOfOrder, unexpected, slowCount,
                slowEnds, slowMissed, slowDuplicated, fastMissed, connectSeconds, tallyNotes);
    }

    private BenchReport report(GatewayGroup probe, SubscriberTally tally, long churnStart, long windowEnd,
                               double windowSeconds, double[] cpuStart, double[] cpuEnd, List<String> metricsStart,
                               List<String> metricsEnd, long rssBeforeConnect, long rssAfterConnect, long rssEnd,
                               long rssMax, long heapBefore, long heapAfter, double directBefore, double directAfter,
                               long healthOk, long healthFailed, double healthMax, long expectedTotal) {
        LoopStats total = new LoopStats();
        for (LoopStats s : stats) {
            s.addTo(total);
        }
        notes.addAll(tally.notes());
        if (options.publishes() && tally.expected() != expectedTotal) {
            notes.add("expected count changed after the drain (" + expectedTotal + " -> " + tally.expected()
                    + "): late acknowledgements");
        }
        long failed = tally.failures().values().stream().mapToLong(Long::longValue).sum();
        var connections = new BenchReport.Connections(tally.attempted(), tally.established(), failed,
                new java.util.TreeMap<>(tally.failures()), tally.connect().getValueAtPercentile(50) / 1000.0,
                tally.connect().getValueAtPercentile(99) / 1000.0, tally.connect().getMaxValue() / 1000.0,
                tally.reconnects(), tally.streamEnds());
        var events = new BenchReport.Events(tally.expected(), tally.received(), tally.missed(), tally.duplicated(),
                tally.outOfOrder(), tally.unexpected(), tally.received() / (options.duration().toNanos() / 1e9));
        BenchReport.Publishes publishes = null;
        if (options.publishes()) {
            long pubFailed = total.publishFailures.values().stream().mapToLong(Long::longValue).sum();
            publishes = new BenchReport.Publishes(publishAttempted, total.publishAcked, pubFailed,
                    total.publishFailures, total.publishAck.getValueAtPercentile(50) / 1000.0,
                    total.publishAck.getValueAtPercentile(99) / 1000.0, total.publishAck.getMaxValue() / 1000.0,
                    schedulerLag.getValueAtPercentile(99) / 1000.0);
        }
        BenchReport.Slow slow = options.scenario() == BenchOptions.Scenario.SLOW
                || options.scenario() == BenchOptions.Scenario.MARKET
                ? new BenchReport.Slow(tally.slowSubscribers(), tally.slowEnds(), tally.reconnects(),
                        tally.slowMissed(), tally.slowDuplicated(), tally.fastMissed())
                : null;
        BenchReport.Churn churn = null;
        if (options.scenario() == BenchOptions.Scenario.CHURN) {
            double seconds = (windowEnd - churnStart) / 1e9;
            churn = new BenchReport.Churn(tally.churnCycles(), failed, tally.churnCycles() / Math.max(1e-9, seconds));
        }
        boolean cpuRead = cpuStart != null && cpuEnd != null;
        double cpuUser = cpuRead ? cpuEnd[0] - cpuStart[0] : -1;
        double cpuSystem = cpuRead ? cpuEnd[1] - cpuStart[1] : -1;
        double cpu = cpuRead ? cpuUser + cpuSystem : -1;
        long established = tally.opened();
        long received = tally.received();
        double rssPerConnection = rssBeforeConnect >= 0 && rssAfterConnect >= 0 && established > 0
                && options.scenario() != BenchOptions.Scenario.CHURN
                ? (rssAfterConnect - rssBeforeConnect) * 1024.0 / established : -1;
        double livePerConnection = heapBefore >= 0 && heapAfter >= 0 && established > 0
                ? ((heapAfter - heapBefore) * 1024.0 + Math.max(0, directAfter) - Math.max(0, directBefore)) / established
                : -1;
        double deliveries = -1;
        double slowDisconnects = -1;
        double deliveriesEnd = GatewayGroup.metric(metricsEnd, "sluice_deliveries_total", null);
        double deliveriesStart = GatewayGroup.metric(metricsStart, "sluice_deliveries_total", null);
        if (deliveriesEnd >= 0 && deliveriesStart >= 0) {
            deliveries = deliveriesEnd - deliveriesStart;
            slowDisconnects = GatewayGroup.metric(metricsEnd, "sluice_slow_disconnects_total", null)
                    - GatewayGroup.metric(metricsStart, "sluice_slow_disconnects_total", null);
            if (options.scenario() == BenchOptions.Scenario.MARKET) {
                double conflated = GatewayGroup.metric(metricsEnd, "sluice_conflated_total", null)
                        - GatewayGroup.metric(metricsStart, "sluice_conflated_total", null);
                notes.add(String.format(java.util.Locale.ROOT, "the gateway conflated %.0f pending updates for"
                        + " subscribers that were behind (sluice_conflated_total)", conflated));
            }
        }
        var gateway = new BenchReport.Gateway(probe.firstPid(), windowSeconds, cpu, rssBeforeConnect,
                rssAfterConnect, rssEnd, rssMax, rssPerConnection, heapBefore, heapAfter, directBefore, directAfter,
                livePerConnection, deliveries, cpu >= 0 && deliveries > 0 ? cpu * 1e6 / deliveries : -1,
                cpu >= 0 && received > 0 ? cpu * 1e6 / received : -1, healthOk, healthFailed, healthMax,
                slowDisconnects, cpuUser, cpuSystem, cpuRead && deliveries > 0 ? cpuUser * 1e6 / deliveries : -1,
                cpuRead && deliveries > 0 ? cpuSystem * 1e6 / deliveries : -1, probe.pids(), options.targets().size(),
                windowSeconds > 0 && deliveries >= 0 ? deliveries / windowSeconds : -1);
        var setup = new BenchReport.Setup(tally.subscribers(), options.topics(), options.rate(),
                options.duration().toMillis() / 1000.0, options.warmup().toMillis() / 1000.0, options.payloadBytes(),
                publishers.size(), share(), options.sourceAddresses().size(), loops.length, io,
                options.targets().size(), options.workers());
        if (tally.connectSeconds() > 0 && options.scenario() != BenchOptions.Scenario.CHURN) {
            notes.add(String.format(java.util.Locale.ROOT, "connecting took %.1f s", tally.connectSeconds()));
        }
        return new BenchReport(options.scenario().name().toLowerCase(java.util.Locale.ROOT), setup, connections,
                events, BenchReport.Latency.of(tally.latencyFast()), BenchReport.Latency.of(tally.latencySlow()), slow,
                publishes, churn, gateway, new BenchReport.Machine(Runtime.getRuntime().availableProcessors(), loadBefore,
                        machineBusy, selfCpu, machineBusy < 0 || selfCpu < 0 ? -1
                                : machineBusy - selfCpu - Math.max(0, cpu), 1 + workers.size(), loadRssKiB),
                aborted, List.copyOf(notes));
    }

    private double share() {
        return options.scenario() == BenchOptions.Scenario.SLOW || options.scenario() == BenchOptions.Scenario.MARKET
                ? options.slowShare() : 0;
    }

    private static <T> Future<T> onLoop(EventLoop loop, Callable<T> task) {
        return loop.submit(task);
    }

    private static void sleepUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }
}
