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
 */
public record BenchOptions(URI url, Scenario scenario, int subscribers, int topics, double rate, Duration duration,
                           Duration warmup, Duration drain, int connectRate, List<InetAddress> sourceAddresses,
                           int payloadBytes, String publisherToken, String subscriberToken, int publishConnections,
                           double slowShare, int slowReadBytesPerSecond, int cycles, int threads, long gatewayPid,
                           boolean gcProbe, Duration timeLimit, Path json) {

    /** Smallest data the bench needs: topic, sequence number and send time, with separators. */
    static final int MIN_PAYLOAD = 32;
    /** Sockets kept for the JVM, publishers and probes when sizing against the file limit. */
    static final int FD_RESERVE = 120;

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
        if (scenario == Scenario.BROADCAST) {
            topics = 1;
        }
    }

    boolean publishes() {
        return scenario != Scenario.IDLE && scenario != Scenario.CHURN && rate > 0;
    }

    /** Throws IllegalArgumentException with a message a user can act on. */
    void validate(long fileLimit) {
        String host = url.getHost();
        if (!"http".equals(url.getScheme()) || host == null) {
            throw new IllegalArgumentException("--url must be http://127.0.0.1:PORT (got " + url + ")");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--url host '" + host + "' does not resolve");
        }
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("--url must point at this machine's loopback (127.0.0.0/8 or ::1);"
                    + " '" + host + "' is " + address.getHostAddress() + ". The load generator never targets"
                    + " another address.");
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
        long cap = maxSubscribers(fileLimit, publishConnections);
        if (subscribers > cap) {
            throw new IllegalArgumentException("This process may open at most " + fileLimit + " files"
                    + " (/proc/self/limits), so it can hold at most " + cap + " subscribers; " + subscribers
                    + " were asked for. Run several bench processes, each with --subscribers <= " + cap
                    + " and its own --source-addresses (e.g. 127.0.0.1-127.0.0.2 and 127.0.0.3-127.0.0.4),"
                    + " or raise the limit (ulimit -n).");
        }
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

        public BenchOptions build() {
            Duration limit = timeLimit;
            if (limit == null) {
                // Connecting at the paced rate, warm-up, window, drain, and a minute of slack.
                long connectSeconds = (long) Math.ceil(subscribers / (double) Math.max(1, connectRate)) + 10;
                limit = Duration.ofSeconds(connectSeconds + 60).plus(warmup).plus(duration).plus(drain);
            }
            return new BenchOptions(url, scenario, subscribers, topics, rate, duration, warmup, drain, connectRate,
                    sourceAddresses, payloadBytes, publisherToken, subscriberToken, publishConnections, slowShare,
                    slowReadBytesPerSecond, cycles, threads, gatewayPid, gcProbe, limit, json);
        }
    }
}
