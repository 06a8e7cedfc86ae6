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
import java.util.concurrent.atomic.AtomicLongArray;
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
 */
public final class Bench {

    private static final long MAX_PENDING_CONNECTS = 1000;
    private static final String TOPIC_PREFIX = "https://example.com/bench/";
    private static final String MARKET_PREFIX = "https://example.com/bench/market/";
    private static final ChannelInboundHandlerAdapter NO_HANDLER = new NoHandler();

    @io.netty.channel.ChannelHandler.Sharable
    private static final class NoHandler extends ChannelInboundHandlerAdapter {}

    private final BenchOptions options;
    private final MultiThreadIoEventLoopGroup group;
    private final String io;
    private final EventLoop[] loops;
    private final LoopStats[] stats;
    private final InetSocketAddress remote;
    private final String hostHeader;
    private final String[] topicForm;
    private final String[] selectorForm;
    private final byte[][] requests;
    private final String publisherAuthorization;
    private final AtomicLongArray measureBase;
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

    private Bench(BenchOptions options) {
        this.options = options;
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
        int port = options.url().getPort() < 0 ? 80 : options.url().getPort();
        try {
            remote = new InetSocketAddress(InetAddress.getByName(options.url().getHost()), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--url host does not resolve: " + options.url().getHost());
        }
        hostHeader = options.url().getHost() + ":" + port;
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
        requests = new byte[g][];
        String token = options.subscriberToken();
        for (int i = 0; i < g; i++) {
            selectorForm[i] = market ? URLEncoder.encode(MARKET_PREFIX + "g" + i + "/{symbol}", StandardCharsets.UTF_8)
                    : topicForm[i];
            requests[i] = SubscriberConnection.requestBytes(hostHeader, selectorForm[i], token, null);
        }
        publisherAuthorization = options.publisherToken() == null ? null : "Bearer " + options.publisherToken();
        measureBase = new AtomicLongArray(k);
        acked = new BitSet[k];
        for (int t = 0; t < k; t++) {
            measureBase.set(t, Long.MAX_VALUE);
            acked[t] = new BitSet();
        }
        buildConnections(channelClass);
    }

    /** Runs the load described by the options and returns what was measured. */
    public static BenchReport run(BenchOptions options) throws InterruptedException {
        options.validate(GatewayProbe.fileLimit());
        Bench bench = new Bench(options);
        try {
            return bench.execute();
        } finally {
            bench.group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    // RCVBUF_ALLOCATOR is deprecated in Netty 4.2, but slow readers are measured with it: with
    // RECVBUF_ALLOCATOR instead, BenchTest's slow scenario reports missed events (not yet understood).
    @SuppressWarnings("deprecation")
    private void buildConnections(Class<? extends SocketChannel> channelClass) {
        int n = options.subscribers();
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
        for (int i = 0; i < n; i++) {
            int l = i % loops.length;
            boolean isSlow = Math.floor((i + 1) * share) > Math.floor(i * share);
            InetSocketAddress local = new InetSocketAddress(sources.get(i % sources.size()), 0);
            subscribers.add(new SubscriberConnection(this, i % options.groups(), isSlow, loops[l],
                    isSlow ? slow[l] : fast[l], local, stats[l]));
        }
        if (options.publishes()) {
            int p = Math.min(options.publishConnections(), options.topics());
            for (int i = 0; i < p; i++) {
                int l = i % loops.length;
                publishers.add(new PublisherConnection(this, loops[l], fast[l], stats[l]));
            }
        }
    }

    // --- what the connections ask of the run ---

    BenchOptions options() {
        return options;
    }

    InetSocketAddress remote() {
        return remote;
    }

    String hostHeader() {
        return hostHeader;
    }

    String topicForm(int topic) {
        return topicForm[topic];
    }

    String publisherAuthorization() {
        return publisherAuthorization;
    }

    /** The subscribe request of a topic (market: of a group), resuming after {@code lastEventId} if given. */
    byte[] request(int selector, String lastEventId) {
        return lastEventId == null ? requests[selector]
                : SubscriberConnection.requestBytes(hostHeader, selectorForm[selector], options.subscriberToken(),
                        lastEventId);
    }

    long measureBase(int topic) {
        return measureBase.get(topic);
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
        long runStart = System.nanoTime();
        long hardDeadline = runStart + options.timeLimit().toNanos();
        Thread watchdog = Thread.ofPlatform().daemon().name("bench-watchdog").start(() -> {
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
        try {
            return phases(hardDeadline);
        } finally {
            watchdog.interrupt();
        }
    }

    private BenchReport phases(long hardDeadline) throws InterruptedException {
        long pid = options.gatewayPid() == 0 ? GatewayProbe.findListener(remote.getPort()) : options.gatewayPid();
        GatewayProbe probe = new GatewayProbe(pid, options.url());
        if (options.gatewayPid() == 0 && pid < 0) {
            notes.add("no process of this user listens on port " + remote.getPort()
                    + "; gateway CPU and memory not measured (give --gateway-pid)");
        }
        if (probe.healthz() < 0) {
            throw new IllegalStateException("No gateway answers at " + options.url().resolve("/healthz")
                    + ": start one (./sluice serve --anonymous --listen 127.0.0.1:8080) or fix --url.");
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
        connectAll(hardDeadline);
        double connectSeconds = (System.nanoTime() - connectStart) / 1e9;

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
            publisher = Thread.ofPlatform().name("bench-publisher").start(() -> publishLoop(t0, measureStart, end));
            sleepUntil(measureStart);
            windowStart = System.nanoTime();
        } else {
            windowStart = System.nanoTime();
        }
        double[] cpuStart = probe.cpuTimes();
        double machineStart = GatewayProbe.machineBusySeconds();
        double selfStart = GatewayProbe.selfCpuSeconds();
        String metricsStart = probe.metrics();
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
            double h = probe.healthz();
            if (h < 0) {
                healthFailed++;
            } else {
                healthOk++;
                healthMax = Math.max(healthMax, h);
            }
        }
        if (publisher != null) {
            publisher.join(Math.max(1, (hardDeadline - System.nanoTime()) / 1_000_000));
        }
        windowEnd = System.nanoTime();
        if (options.scenario() == BenchOptions.Scenario.CHURN) {
            stopping = true;
        }

        long expectedTotal = options.publishes() ? drain(hardDeadline) : 0;
        double[] cpuEnd = probe.cpuTimes();
        machineBusy = machineStart < 0 ? -1 : GatewayProbe.machineBusySeconds() - machineStart;
        selfCpu = selfStart < 0 ? -1 : GatewayProbe.selfCpuSeconds() - selfStart;
        String metricsEnd = probe.metrics();
        long rssEnd = probe.rssKiB();
        rssMax = Math.max(rssMax, rssEnd);
        double windowSeconds = (System.nanoTime() - windowStart) / 1e9;

        stopping = true;
        closeAll();
        return report(probe, connectSeconds, churnStart, windowEnd, windowSeconds, cpuStart, cpuEnd, metricsStart,
                metricsEnd, rssBeforeConnect, rssAfterConnect, rssEnd, rssMax, heapBefore, heapAfter, directBefore,
                directAfter, healthOk, healthFailed, healthMax, expectedTotal);
    }

    private static double direct(GatewayProbe probe) {
        return GatewayProbe.metric(probe.metrics(), "jvm_buffer_memory_used_bytes", "id=\"direct\"");
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
    private void publishLoop(long t0, long measureStart, long end) {
        int k = options.topics();
        long[] nextSeq = new long[k];
        boolean[] baseSet = new boolean[k];
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
            boolean measured = due >= measureStart;
            if (measured) {
                if (!baseSet[topic]) {
                    baseSet[topic] = true;
                    measureBase.set(topic, seq);
                }
                publishAttempted++;
                LoopStats.record(schedulerLag, lag);
            }
            PublisherConnection c = publishers.get(topic % p);
            c.loop().execute(() -> c.publish(topic, seq, due, measured));
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
        long expected = 0;
        long[] perTopic = expectedPerTopic();
        for (SubscriberConnection s : subscribers) {
            if (s.everOpened()) {
                for (int t = 0; t < s.seen.length; t++) {
                    expected += perTopic[s.firstTopic + t];
                }
            }
        }
        while (!stopping && System.nanoTime() < deadline) {
            if (received() >= expected) {
                break;
            }
            LockSupport.parkNanos(50_000_000);
        }
        return expected;
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

    /** Acknowledged, in-window sequence numbers per topic (copied on the publishers' loops). */
    private BitSet[] windowAcked() {
        BitSet[] out = new BitSet[options.topics()];
        for (int t = 0; t < out.length; t++) {
            final int topic = t;
            long base = measureBase.get(t);
            if (base == Long.MAX_VALUE || publishers.isEmpty()) {
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
        BitSet[] w = windowAcked();
        long[] out = new long[w.length];
        for (int t = 0; t < w.length; t++) {
            out[t] = w[t].cardinality();
        }
        return out;
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

    private BenchReport report(GatewayProbe probe, double connectSeconds, long churnStart, long windowEnd,
                               double windowSeconds, double[] cpuStart, double[] cpuEnd, String metricsStart,
                               String metricsEnd, long rssBeforeConnect, long rssAfterConnect, long rssEnd,
                               long rssMax, long heapBefore, long heapAfter, double directBefore, double directAfter,
                               long healthOk, long healthFailed, double healthMax, long expectedTotal) {
        LoopStats total = new LoopStats();
        for (LoopStats s : stats) {
            s.addTo(total);
        }
        BitSet[] windowAcked = options.publishes() ? windowAcked() : new BitSet[0];
        long received = 0;
        long missed = 0;
        long duplicated = 0;
        long outOfOrder = 0;
        long unexpected = 0;
        long expected = 0;
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
            if (!s.everOpened() || !options.publishes()) {
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
        if (options.publishes() && expected != expectedTotal) {
            notes.add("expected count changed after the drain (" + expectedTotal + " -> " + expected
                    + "): late acknowledgements");
        }
        long failed = total.failures.values().stream().mapToLong(Long::longValue).sum();
        var connections = new BenchReport.Connections(total.attempted, total.established, failed, total.failures,
                total.connect.getValueAtPercentile(50) / 1000.0, total.connect.getValueAtPercentile(99) / 1000.0,
                total.connect.getMaxValue() / 1000.0, total.reconnects, total.streamEnds);
        var events = new BenchReport.Events(expected, received, missed, duplicated, outOfOrder, unexpected);
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
                ? new BenchReport.Slow(slowCount, slowEnds, total.reconnects, slowMissed, slowDuplicated, fastMissed)
                : null;
        BenchReport.Churn churn = null;
        if (options.scenario() == BenchOptions.Scenario.CHURN) {
            double seconds = (windowEnd - churnStart) / 1e9;
            churn = new BenchReport.Churn(total.churnCycles, failed, total.churnCycles / Math.max(1e-9, seconds));
        }
        boolean cpuRead = cpuStart != null && cpuEnd != null;
        double cpuUser = cpuRead ? cpuEnd[0] - cpuStart[0] : -1;
        double cpuSystem = cpuRead ? cpuEnd[1] - cpuStart[1] : -1;
        double cpu = cpuRead ? cpuUser + cpuSystem : -1;
        int established = (int) Math.min(Integer.MAX_VALUE, subscribers.stream().filter(SubscriberConnection::everOpened).count());
        double rssPerConnection = rssBeforeConnect >= 0 && rssAfterConnect >= 0 && established > 0
                && options.scenario() != BenchOptions.Scenario.CHURN
                ? (rssAfterConnect - rssBeforeConnect) * 1024.0 / established : -1;
        double livePerConnection = heapBefore >= 0 && heapAfter >= 0 && established > 0
                ? ((heapAfter - heapBefore) * 1024.0 + Math.max(0, directAfter) - Math.max(0, directBefore)) / established
                : -1;
        double deliveries = -1;
        double slowDisconnects = -1;
        if (metricsStart != null && metricsEnd != null) {
            deliveries = GatewayProbe.metric(metricsEnd, "sluice_deliveries_total", null)
                    - GatewayProbe.metric(metricsStart, "sluice_deliveries_total", null);
            slowDisconnects = GatewayProbe.metric(metricsEnd, "sluice_slow_disconnects_total", null)
                    - GatewayProbe.metric(metricsStart, "sluice_slow_disconnects_total", null);
            if (options.scenario() == BenchOptions.Scenario.MARKET) {
                double conflated = GatewayProbe.metric(metricsEnd, "sluice_conflated_total", null)
                        - GatewayProbe.metric(metricsStart, "sluice_conflated_total", null);
                notes.add(String.format(java.util.Locale.ROOT, "the gateway conflated %.0f pending updates for"
                        + " subscribers that were behind (sluice_conflated_total)", conflated));
            }
        }
        var gateway = new BenchReport.Gateway(probe.pid(), windowSeconds, cpu, rssBeforeConnect, rssAfterConnect,
                rssEnd, rssMax, rssPerConnection, heapBefore, heapAfter, directBefore, directAfter, livePerConnection,
                deliveries, cpu >= 0 && deliveries > 0 ? cpu * 1e6 / deliveries : -1,
                cpu >= 0 && received > 0 ? cpu * 1e6 / received : -1, healthOk, healthFailed, healthMax,
                slowDisconnects, cpuUser, cpuSystem, cpuRead && deliveries > 0 ? cpuUser * 1e6 / deliveries : -1,
                cpuRead && deliveries > 0 ? cpuSystem * 1e6 / deliveries : -1);
        var setup = new BenchReport.Setup(subscribers.size(), options.topics(), options.rate(),
                options.duration().toMillis() / 1000.0, options.warmup().toMillis() / 1000.0, options.payloadBytes(),
                publishers.size(), share(),
                options.sourceAddresses().size(), loops.length, io);
        if (connectSeconds > 0 && options.scenario() != BenchOptions.Scenario.CHURN) {
            notes.add(String.format(java.util.Locale.ROOT, "connecting took %.1f s", connectSeconds));
        }
        return new BenchReport(options.scenario().name().toLowerCase(java.util.Locale.ROOT), setup, connections,
                events, BenchReport.Latency.of(total.latencyFast), BenchReport.Latency.of(total.latencySlow), slow,
                publishes, churn, gateway, new BenchReport.Machine(Runtime.getRuntime().availableProcessors(), loadBefore,
                        machineBusy, selfCpu, machineBusy < 0 || selfCpu < 0 ? -1
                                : machineBusy - selfCpu - Math.max(0, cpu)), aborted, List.copyOf(notes));
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
