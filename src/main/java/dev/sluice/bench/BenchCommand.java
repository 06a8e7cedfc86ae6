package dev.sluice.bench;

import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Durations;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code sluice bench}: a load generator for a gateway on this machine, reporting what it
 * measured as a table and optionally as JSON. See {@link Bench} for what is measured and how.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {"Load a gateway on this machine and report what it did: connections, delivery latency,",
            "missed/duplicated events, publish acknowledgements, and the gateway's CPU and memory.", "",
            "Scenarios: idle (connections only), broadcast (one topic), topics (spread over --topics),",
            "churn (connect/disconnect cycles), slow (a --slow-share of subscribers read slowly),",
            "market (--topics symbols in groups of 50, each subscriber on the URI template of one group,",
            "a --slow-share of them reading slowly: run it against a gateway with and without --conflate).", ""},
        footer = {"", "Only loopback targets are accepted.", "Durations are " + Durations.GRAMMAR + ".",
            "Example: ./sluice bench --scenario broadcast --subscribers 10000 --rate 10 --secret \"$SECRET\"",
            "Several gateways and processes: ./sluice bench --targets http://127.0.0.1:8081,http://127.0.0.1:8082"
                    + " --workers 4 --source-addresses 127.0.0.11-127.0.0.18 --subscribers 60000 --secret \"$SECRET\""})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", paramLabel = "URL",
            description = "The gateway (loopback only). Default: ${DEFAULT-VALUE}")
    String url;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--targets", paramLabel = "URL,URL,...", split = ",",
            description = "Several gateways (loopback only) instead of --url: subscriber i connects to target i mod N,"
                    + " and publishing connections are spread over them too. They share updates only through a"
                    + " shared transport (--transport redis://... or nats://...).")
    List<String> targets;

    @Option(names = "--workers", defaultValue = "0", paramLabel = "N",
            description = "Hold the subscribers in N worker processes started by this one (each under its own"
                    + " open-file limit, with its own slice of --source-addresses); this process publishes, observes"
                    + " the gateways and adds up the workers' counts. 0: all in this process. Default: ${DEFAULT-VALUE}")
    int workers;

    @Option(names = "--worker-java-options", paramLabel = "OPTIONS",
            defaultValue = BenchOptions.DEFAULT_WORKER_JAVA_OPTIONS,
            description = "JVM options of the worker processes. Default: ${DEFAULT-VALUE}")
    String workerJavaOptions;

    @Option(names = "--scenario", defaultValue = "broadcast", paramLabel = "NAME",
            description = "idle, broadcast, topics, churn, slow or market. Default: ${DEFAULT-VALUE}")
    String scenario;

    @Option(names = "--subscribers", defaultValue = "1000", paramLabel = "N",
            description = "SSE connections (churn: connections at once). Default: ${DEFAULT-VALUE}")
    int subscribers;

    @Option(names = "--topics", defaultValue = "1", paramLabel = "K",
            description = "Topics subscribers and publishes are spread over (broadcast: 1). Default: ${DEFAULT-VALUE}")
    int topics;

    @Option(names = "--rate", defaultValue = "10", paramLabel = "R",
            description = "Updates published per second, on an open-loop schedule. Default: ${DEFAULT-VALUE}")
    double rate;

    @Option(names = "--duration", defaultValue = "30s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Measured window. Default: ${DEFAULT-VALUE}")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "5s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Publishing before the window, not measured. Default: ${DEFAULT-VALUE}")
    Duration warmup;

    @Option(names = "--drain", defaultValue = "10s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Longest wait after the window for events still on their way. Default: ${DEFAULT-VALUE}")
    Duration drain;

    @Option(names = "--connect-rate", defaultValue = "2000", paramLabel = "N",
            description = "New connections per second. Default: ${DEFAULT-VALUE}")
    int connectRate;

    @Option(names = "--source-addresses", defaultValue = "1", paramLabel = "SPEC",
            description = "Local addresses to connect from: a count (4 = 127.0.0.1-127.0.0.4), a range"
                    + " (127.0.0.5-127.0.0.8) or a comma list. Each has its own ephemeral port range."
                    + " Default: ${DEFAULT-VALUE}")
    String sourceAddresses;

    @Option(names = "--payload-bytes", defaultValue = "100", paramLabel = "N",
            description = "Bytes of data per update (at least 32). Default: ${DEFAULT-VALUE}")
    int payloadBytes;

    @Option(names = "--publisher-token", paramLabel = "JWT", description = "Token to publish with.")
    String publisherToken;

    @Option(names = "--subscriber-token", paramLabel = "JWT",
            description = "Token to subscribe with. Default: anonymous, or minted when --secret is given.")
    String subscriberToken;

    @Option(names = "--secret", paramLabel = "SECRET",
            description = "The gateway's HS256 key: publisher (and subscriber) tokens are minted with it.")
    String secret;

    @Option(names = "--publish-connections", defaultValue = "4", paramLabel = "N",
            description = "Keep-alive connections publishes are spread over (by topic). Default: ${DEFAULT-VALUE}")
    int publishConnections;

    @Option(names = "--slow-share", defaultValue = "0.05", paramLabel = "SHARE",
            description = "slow and market scenarios: share of subscribers that read slowly. Default: ${DEFAULT-VALUE}")
    double slowShare;

    @Option(names = "--slow-read-rate", defaultValue = "16384", paramLabel = "BYTES_PER_S",
            description = "slow and market scenarios: how fast a slow subscriber reads (4 KiB receive buffer). Default: ${DEFAULT-VALUE}")
    int slowReadRate;

    @Option(names = "--cycles", defaultValue = "1000", paramLabel = "N",
            description = "churn: connect/disconnect cycles in all. Default: ${DEFAULT-VALUE}")
    int cycles;

    @Option(names = "--threads", paramLabel = "N", description = "Event-loop threads of the load generator. Default: cores")
    Integer threads;

    @Option(names = "--gateway-pid", paramLabel = "PID[,PID...]", split = ",",
            description = "Gateway process to observe (CPU, RSS); with --targets one per target. Default: the process"
                    + " listening on each target's port, if this user can see it.")
    List<String> gatewayPid;

    @Option(names = "--gc-probe", description = "Run a full GC in the gateway (jcmd) before and after connecting and"
            + " report live heap and direct memory per connection.")
    boolean gcProbe;

    @Option(names = "--time-limit", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Hard limit for the whole run. Default: connect time + warm-up + window + drain + 60 s")
    Duration timeLimit;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON to FILE.")
    Path json;

    @Override
    public Integer call() throws Exception {
        BenchOptions options;
        try {
            options = options();
            options.validate(GatewayProbe.fileLimit());
        } catch (IllegalArgumentException e) {
            throw usageMistake(e.getMessage());
        }
        BenchReport report;
        try {
            report = Bench.run(options);
        } catch (IllegalArgumentException e) {
            throw usageMistake(e.getMessage());
        } catch (IllegalStateException e) {
            System.err.println("sluice bench: " + e.getMessage());
            return 1;
        }
        report.print(System.out);
        if (json != null) {
            report.writeJson(json);
            System.out.println("  (JSON written to " + json + ")");
        }
        return report.aborted() ? 1 : 0;
    }

    /**
     * A validation message as a mistake in an option ("--rate must be ..."), so the command line
     * reports it as one line naming the option or the variable that set it, exit 2.
     */
    static ConfigException usageMistake(String message) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(--[a-z-]+):? (.*)", java.util.regex.Pattern.DOTALL)
                .matcher(message);
        return m.matches() ? new ConfigException(m.group(1), m.group(2)) : new ConfigException("", message);
    }

    BenchOptions options() {
        BenchOptions.Scenario s;
        try {
            s = BenchOptions.Scenario.valueOf(scenario.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--scenario must be idle, broadcast, topics, churn, slow or market; got " + scenario);
        }
        String pub = publisherToken;
        String sub = subscriberToken;
        if (secret != null) {
            byte[] key = secret.getBytes(StandardCharsets.UTF_8);
            if (pub == null) {
                pub = TokenIssuer.hmac(JwtAlgorithm.HS256, key, List.of("*"), List.of(), Duration.ofDays(1));
            }
            if (sub == null) {
                sub = TokenIssuer.hmac(JwtAlgorithm.HS256, key, List.of(), List.of("*"), Duration.ofDays(1));
            }
        }
        List<URI> targetList = new ArrayList<>();
        if (targets != null && spec != null && spec.commandLine() != null
                && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption("--url")) {
            throw new IllegalArgumentException("--targets replaces --url: give one or the other");
        }
        if (targets != null) {
            for (String t : targets) {
                try {
                    targetList.add(new URI(t.trim()));
                } catch (java.net.URISyntaxException e) {
                    throw new IllegalArgumentException("--targets: not a URL: '" + t.trim() + "'");
                }
            }
            if (targetList.isEmpty()) {
                throw new IllegalArgumentException("--targets needs at least one URL");
            }
        }
        List<Long> pids = new ArrayList<>();
        if (gatewayPid != null) {
            for (String p : gatewayPid) {
                try {
                    pids.add(Long.parseLong(p.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--gateway-pid: not a process id: '" + p.trim() + "'");
                }
            }
        }
        URI first;
        try {
            first = targetList.isEmpty() ? new URI(url) : targetList.get(0);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("--url: not a URL: '" + url + "'");
        }
        BenchOptions.Builder b = BenchOptions.builder(first).targets(targetList).workers(workers)
                .workerJavaOptions(workerJavaOptions).scenario(s).subscribers(subscribers)
                .topics(topics).rate(rate).duration(duration).warmup(warmup).drain(drain).connectRate(connectRate)
                .sourceAddresses(parseSources(sourceAddresses)).payloadBytes(payloadBytes).publisherToken(pub)
                .subscriberToken(sub).publishConnections(publishConnections).slowShare(slowShare)
                .slowReadBytesPerSecond(slowReadRate).cycles(cycles).gatewayPid(pids.size() == 1 ? pids.get(0) : 0)
                .gatewayPids(pids.size() > 1 || (pids.size() == 1 && targetList.size() > 1) ? pids : List.of())
                .gcProbe(gcProbe).timeLimit(timeLimit).json(json);
        if (threads != null) {
            b.threads(threads);
        }
        return b.build();
    }

    /** "4" (127.0.0.1..4), "127.0.0.5-127.0.0.8", or "127.0.0.1,127.0.0.9". */
    static List<InetAddress> parseSources(String spec) {
        List<InetAddress> out = new ArrayList<>();
        try {
            if (spec.matches("\\d+")) {
                int n = Integer.parseInt(spec);
                if (n < 1 || n > 254) {
                    throw new IllegalArgumentException("--source-addresses count must be 1-254, got " + n);
                }
                for (int i = 1; i <= n; i++) {
                    out.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) i}));
                }
            } else if (spec.contains("-")) {
                String[] ends = spec.split("-", 2);
                byte[] from = InetAddress.getByName(ends[0].trim()).getAddress();
                byte[] to = InetAddress.getByName(ends[1].trim()).getAddress();
                if (from.length != 4 || to.length != 4 || from[0] != 127 || to[0] != 127 || from[1] != to[1]
                        || from[2] != to[2] || (to[3] & 0xff) < (from[3] & 0xff)) {
                    throw new IllegalArgumentException("--source-addresses range must be like 127.0.0.5-127.0.0.8");
                }
                for (int i = from[3] & 0xff; i <= (to[3] & 0xff); i++) {
                    out.add(InetAddress.getByAddress(new byte[] {127, from[1], from[2], (byte) i}));
                }
            } else {
                for (String a : spec.split(",")) {
                    out.add(InetAddress.getByName(a.trim()));
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--source-addresses: " + e.getMessage());
        }
        return out;
    }

    /** The gateway's duration grammar ({@link Durations}): 500ms, 1.5s, 30s, 2m, 1h. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String v) {
            try {
                return Durations.parse(v);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
