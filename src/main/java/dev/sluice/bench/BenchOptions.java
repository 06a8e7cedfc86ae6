package dev.sluice.bench;

import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One load-generator run, fully described. Built by {@code sluice bench} from its options, or by
 * tests directly; {@link #validate()} refuses what would be unsafe (anything but loopback) or
 * cannot work.
 *
 * @param url               the gateway's base URL (scheme, loopback host, port)
 * @param scenario          what load to apply
 * @param subscribers       SSE connections to hold (for churn: connections open at once)
 * @param topics            topics the subscribers and publishes are spread over
 * @param rate              publishes per second (open loop)
 * @param duration          the measured window
 * @param warmup            publishing before the window, not measured
 * @param drain             after the window, how long to wait for the last events
 * @param connectRate       new connections per second while connecting
 * @param sourceAddresses   local addresses the subscriber sockets are bound to, round robin
 * @param payloadBytes      bytes of each update's data (at least the header the bench needs)
 * @param publisherToken    bearer token for publishing, or null
 * @param subscriberToken   bearer token for subscribing, or null for anonymous
 * @param publishConnections keep-alive connections publishes are spread over (by topic)
 * @param slowShare         share of subscribers that read slowly (slow scenario)
 * @param slowReadBytesPerSecond how fast a slow subscriber reads
 * @param cycles            connect/disconnect cycles (churn)
 * @param threads           event-loop threads of the load generator
 * @param gatewayPid        process to observe (CPU, RSS), 0 to look it up by port, -1 for none
 * @param gcProbe           run {@code jcmd GC.run} on the gateway before and after connecting and
 *                          read live heap (idle scenario)
 * @param timeLimit         hard limit for the whole run
 * @param json              where to write the JSON report, or null
 * @param targets           the gateways subscribers are spread over (subscriber i connects to
 *                          target {@code i % targets.size()}) and publishing connections too; the
 *                          first is {@code url}. Several gateways only see each other's updates
 *                          through a shared transport (redis, nats).
 * @param gatewayPids       per target, the process to observe (as {@code gatewayPid}); empty: the
 *                          first target uses {@code gatewayPid}, the others are looked up by port
 * @param workers           0: this process holds the subscribers; N: this process publishes and
 *                          observes, and N worker processes it starts hold the subscribers
 * @param workerJavaOptions JVM options of the worker processes
 * @param subscriberOffset  the run-wide index of this process's first subscriber (a worker's
 *                          share; topic, target and slow readers follow the run-wide index)
 */
public record BenchOptions(URI url, Scenario scenario, int subscribers, int topics, double rate, Duration duration,
                           Duration warmup, Duration drain, int connectRate, List<InetAddress> sourceAddresses,
                           int payloadBytes, String publisherToken, String subscriberToken, int publishConnections,
                           double slowShare, int slowReadBytesPerSecond, int cycles, int threads, long gatewayPid,
                           boolean gcProbe, Duration timeLimit, Path json, List<URI> targets,
                           List<Long> gatewayPids, int workers, String workerJavaOptions, int subscriberOffset) {

    /** Smallest data the bench needs: topic, sequence number and send time, with separators. */
    static final int MIN_PAYLOAD = 32;
    /** Sockets kept for the JVM, publishers and probes when sizing against the file limit. */
    static final int FD_RESERVE = 120;

    /** Most worker processes a run may start. */
    static final int MAX_WORKERS = 64;
    /** JVM options of worker processes unless given. */
    public static final String DEFAULT_WORKER_JAVA_OPTIONS = "-Xms64m -Xmx768m -XX:+UseParallelGC";

    /** The load shapes. */
    public enum Scenario { IDLE, BROADCAST, TOPICS, CHURN, SLOW, MARKET }

    /**
     * Market scenario: symbols (topics) per URI template. Subscriber i subscribes to the template
     * of group {@code i % groups}, which matches that group's symbols.
     */
    public static final int SYMBOLS_PER_GROUP = 50;

    /** Market scenario: how many templates the symbols are spread over. */
    int groups() {
        return scenario == Scenario.MARKET ? (topics + SYMBOLS_PER_GROUP - 1) / SYMBOLS_PER_GROUP : topics;
    }

    public BenchOptions {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(scenario, "scenario");
        sourceAddresses = List.copyOf(sourceAddresses);
        targets = targets == null || targets.isEmpty() ? List.of(url) : List.copyOf(targets);
        url = targets.get(0);
        gatewayPids = gatewayPids == null ? List.of() : List.copyOf(gatewayPids);
        workerJavaOptions = workerJavaOptions == null ? DEFAULT_WORKER_JAVA_OPTIONS : workerJavaOptions;
        if (scenario == Scenario.BROADCAST) {
            topics = 1;
        }
    }

    boolean publishes() {
        return scenario != Scenario.IDLE && scenario != Scenario.CHURN && rate > 0;
    }

    /** Throws IllegalArgumentException with a message a user can act on. */
    void validate(long fileLimit) {
        for (URI target : targets) {
            validateTarget(target, targets.size() > 1 ? "--targets" : "--url");
        }
        if (targets.size() != targets.stream().distinct().count()) {
            throw new IllegalArgumentException("--targets names a gateway twice: " + targets);
        }
        if (!gatewayPids.isEmpty() && gatewayPids.size() != targets.size()) {
            throw new IllegalArgumentException("--gateway-pid needs one process id per target (" + targets.size()
                    + "), got " + gatewayPids.size());
        }
        for (InetAddress a : sourceAddresses) {
            if (!a.isLoopbackAddress()) {
                throw new IllegalArgumentException("--source-addresses must be loopback addresses (127.0.0.0/8);"
                        + " got " + a.getHostAddress());
            }
        }
        if (sourceAddresses.isEmpty()) {
            throw new IllegalArgumentException("--source-addresses needs at least one address");
        }
        positive(subscribers, "--subscribers");
        positive(topics, "--topics");
        positive(connectRate, "--connect-rate");
        positive(publishConnections, "--publish-connections");
        positive(threads, "--threads");
        if (rate < 0 || rate > 100_000) {
            throw new IllegalArgumentException("--rate must be between 0 and 100000 updates/s, got " + rate);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("--duration must be positive");
        }
        if (payloadBytes < MIN_PAYLOAD || payloadBytes > 512 * 1024) {
            throw new IllegalArgumentException("--payload-bytes must be between " + MIN_PAYLOAD
                    + " (the bench's own header) and 524288, got " + payloadBytes);
        }
        if (slowShare < 0 || slowShare > 1) {
            throw new IllegalArgumentException("--slow-share must be between 0 and 1, got " + slowShare);
        }
        if (publishes() && publisherToken == null) {
            throw new IllegalArgumentException("The " + scenario.name().toLowerCase(java.util.Locale.ROOT)
                    + " scenario publishes: give --publisher-token (printed by 'sluice serve') or --secret"
                    + " (the gateway's --publisher-jwt-key) to mint one.");
        }
        if (workers < 0 || workers > MAX_WORKERS) {
            throw new IllegalArgumentException("--workers must be between 0 (subscribers in this process) and "
                    + MAX_WORKERS + ", got " + workers);
        }
        if (workers > 0) {
            validateWorkers(fileLimit);
            return;
        }
        long cap = maxSubscribers(fileLimit, publishConnections);
        if (subscribers > cap) {
            throw new IllegalArgumentException("This process may open at most " + fileLimit + " files"
                    + " (/proc/self/limits), so it can hold at most " + cap + " subscribers; " + subscribers
                    + " were asked for. Run several bench processes, each with --subscribers <= " + cap
                    + " and its own --source-addresses (e.g. 127.0.0.1-127.0.0.2 and 127.0.0.3-127.0.0.4),"
                    + " or raise the limit (ulimit -n).");
        }
    }

    private static void validateTarget(URI target, String option) {
        String host = target.getHost();
        if (!"http".equals(target.getScheme()) || host == null) {
            throw new IllegalArgumentException(option + " must be http://127.0.0.1:PORT (got " + target + ")");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(option + " host '" + host + "' does not resolve");
        }
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException(option + " must point at this machine's loopback (127.0.0.0/8 or ::1);"
                    + " '" + host + "' is " + address.getHostAddress() + ". The load generator never targets"
                    + " another address.");
        }
    }

    /**
     * Worker processes: each gets an equal share of the subscribers and its own slice of the
     * source addresses (so no two processes compete for one address's ephemeral ports), and must
     * fit its share under the same open-file limit as this process.
     */
    private void validateWorkers(long fileLimit) {
        if (scenario == Scenario.CHURN) {
            throw new IllegalArgumentException("--workers: the churn scenario runs in one process (give --workers 0)");
        }
        if (gcProbe && targets.size() > 1) {
            throw new IllegalArgumentException("--gc-probe observes one gateway: give one --url, or drop --gc-probe");
        }
        if (sourceAddresses.size() < workers) {
            throw new IllegalArgumentException("--source-addresses: each of the " + workers + " workers needs an address"
                    + " of its own, but only " + sourceAddresses.size() + " were given (e.g. --source-addresses "
                    + "127.0.0.11-127.0.0." + (10 + workers * 2) + ")");
        }
        if (subscribers < workers) {
            throw new IllegalArgumentException("--subscribers (" + subscribers + ") must be at least --workers ("
                    + workers + ")");
        }
        long share = (subscribers + workers - 1) / workers;
        long cap = maxSubscribers(fileLimit, 0);
        if (share > cap) {
            throw new IllegalArgumentException("--workers: each worker process may open at most " + fileLimit
                    + " files, so it can hold at most " + cap + " subscribers; " + subscribers + " over " + workers
                    + " workers is " + share + " each. Give --workers " + ((subscribers + cap - 1) / cap)
                    + " or more, or raise the limit (ulimit -n).");
        }
    }

    /** This process's share when the run is split over {@code workers} processes: [offset, offset + count). */
    int workerOffset(int worker) {
        return (int) ((long) subscribers * worker / workers);
    }

    int workerCount(int worker) {
        return workerOffset(worker + 1) - workerOffset(worker);
    }

    /** The source addresses of one worker: a contiguous slice, disjoint from the others'. */
    List<InetAddress> workerSources(int worker) {
        int n = sourceAddresses.size();
        return sourceAddresses.subList(n * worker / workers, n * (worker + 1) / workers);
    }

    /** The process to observe for target {@code j}: a pid, 0 to look it up by port, -1 for none. */
    long gatewayPid(int j) {
        if (!gatewayPids.isEmpty()) {
            return gatewayPids.get(j);
        }
        return j == 0 || gatewayPid < 0 ? gatewayPid : 0;
    }

    static long maxSubscribers(long fileLimit, int publishConnections) {
        return Math.max(0, fileLimit - FD_RESERVE - publishConnections);
    }

    private static void positive(long v, String option) {
        if (v <= 0) {
            throw new IllegalArgumentException(option + " must be positive, got " + v);
        }
    }

    public static Builder builder(URI url) {
        return new Builder(url);
    }

    /** Defaults as documented by {@code sluice bench --help}. */
    public static final class Builder {
        private URI url;
        private Scenario scenario = Scenario.BROADCAST;
        private int subscribers = 1000;
        private int topics = 1;
        private double rate = 10;
        private Duration duration = Duration.ofSeconds(30);
        private Duration warmup = Duration.ofSeconds(5);
        private Duration drain = Duration.ofSeconds(10);
        private int connectRate = 2000;
        private List<InetAddress> sourceAddresses = List.of(InetAddress.getLoopbackAddress());
        private int payloadBytes = 100;
        private String publisherToken;
        private String subscriberToken;
        private int publishConnections = 4;
        private double slowShare;
        private int slowReadBytesPerSecond = 16 * 1024;
        private int cycles = 1000;
        private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private long gatewayPid = -1;
        private boolean gcProbe;
        private Duration timeLimit;
        private Path json;
        private List<URI> targets = List.of();
        private List<Long> gatewayPids = List.of();
        private int workers;
        private String workerJavaOptions = DEFAULT_WORKER_JAVA_OPTIONS;
        private int subscriberOffset;

        Builder(URI url) {
            this.url = url;
        }

        public Builder url(URI v) { url = v; return this; }
        public Builder scenario(Scenario v) { scenario = v; return this; }
        public Builder subscribers(int v) { subscribers = v; return this; }
        public Builder topics(int v) { topics = v; return this; }
        public Builder rate(double v) { rate = v; return this; }
        public Builder duration(Duration v) { duration = v; return this; }
        public Builder warmup(Duration v) { warmup = v; return this; }
        public Builder drain(Duration v) { drain = v; return this; }
        public Builder connectRate(int v) { connectRate = v; return this; }
        public Builder sourceAddresses(List<InetAddress> v) { sourceAddresses = v; return this; }
        public Builder payloadBytes(int v) { payloadBytes = v; return this; }
        public Builder publisherToken(String v) { publisherToken = v; return this; }
        public Builder subscriberToken(String v) { subscriberToken = v; return this; }
        public Builder publishConnections(int v) { publishConnections = v; return this; }
        public Builder slowShare(double v) { slowShare = v; return this; }
        public Builder slowReadBytesPerSecond(int v) { slowReadBytesPerSecond = v; return this; }
        public Builder cycles(int v) { cycles = v; return this; }
        public Builder threads(int v) { threads = v; return this; }
        public Builder gatewayPid(long v) { gatewayPid = v; return this; }
        public Builder gcProbe(boolean v) { gcProbe = v; return this; }
        public Builder timeLimit(Duration v) { timeLimit = v; return this; }
        public Builder json(Path v) { json = v; return this; }
        public Builder targets(List<URI> v) { targets = v; return this; }
        public Builder gatewayPids(List<Long> v) { gatewayPids = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder workerJavaOptions(String v) { workerJavaOptions = v; return this; }
        public Builder subscriberOffset(int v) { subscriberOffset = v; return this; }

        public BenchOptions build() {
            Duration limit = timeLimit;
            if (limit == null) {
                // Connecting at the paced rate, warm-up, window, drain, and a minute of slack.
                long connectSeconds = (long) Math.ceil(subscribers / (double) Math.max(1, connectRate)) + 10;
                limit = Duration.ofSeconds(connectSeconds + 60).plus(warmup).plus(duration).plus(drain);
                if (workers > 0) {
                    limit = limit.plusSeconds(30); // starting the worker JVMs, collecting their results
                }
            }
            return new BenchOptions(url, scenario, subscribers, topics, rate, duration, warmup, drain, connectRate,
                    sourceAddresses, payloadBytes, publisherToken, subscriberToken, publishConnections, slowShare,
                    slowReadBytesPerSecond, cycles, threads, gatewayPid, gcProbe, limit, json, targets, gatewayPids,
                    workers, workerJavaOptions, subscriberOffset);
        }
    }
}
