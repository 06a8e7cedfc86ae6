package dev.sluice.cli;

import dev.sluice.Gateway;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Durations;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice serve}: runs the gateway until Ctrl-C or SIGTERM, then stops cleanly with exit 0. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {"Run the gateway.", "",
            "Subscribe: GET /.well-known/mercure?topic=<selector>   Publish: POST /.well-known/mercure",
            "Also /healthz, /readyz and /metrics (Prometheus).", ""},
        footer = {"", "Durations are " + Durations.GRAMMAR + ".",
            "Sizes are bytes, or a number and a binary unit (K/KiB, M/MiB, G/GiB: 1K = 1024), e.g. 512KiB, 64MiB.",
            "With no --publisher-jwt-key, a random HS256 secret is made for this run and a publisher",
            "token for every topic is printed once."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "[HOST]:PORT", defaultValue = ":8080",
            description = "Address to listen on (env SLUICE_LISTEN). Default: ${DEFAULT-VALUE}")
    String listen;

    @Option(names = "--publisher-jwt-key", paramLabel = "KEY",
            description = "Key that verifies publisher tokens: the shared secret for HS*, a PEM public key (or the"
                    + " path of a PEM file) for RS*/ES*/EdDSA. Default: a random secret for this run.")
    String publisherJwtKey;

    @Option(names = "--publisher-jwt-alg", paramLabel = "ALG", defaultValue = "HS256",
            description = "Algorithm of publisher tokens: HS256/384/512, RS256/384/512, ES256/384/512, EdDSA (Ed25519)."
                    + " Default: ${DEFAULT-VALUE}")
    String publisherJwtAlg;

    @Option(names = "--subscriber-jwt-key", paramLabel = "KEY",
            description = "Key that verifies subscriber tokens (as --publisher-jwt-key). Default: the publisher key.")
    String subscriberJwtKey;

    @Option(names = "--subscriber-jwt-alg", paramLabel = "ALG", defaultValue = "HS256",
            description = "Algorithm of subscriber tokens. Default: ${DEFAULT-VALUE} (the publisher's when no"
                    + " subscriber key is set)")
    String subscriberJwtAlg;

    @Option(names = "--anonymous", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Allow subscribers without a token (they receive public updates only). Default: ${DEFAULT-VALUE}")
    boolean anonymous;

    @Option(names = "--heartbeat", paramLabel = "DURATION", defaultValue = "15s", converter = Units.DurationConverter.class,
            description = "Send a comment on streams idle this long (0 disables). Default: ${DEFAULT-VALUE}")
    Duration heartbeat;

    @Option(names = "--history-size", paramLabel = "N", defaultValue = "10000",
            description = "Updates kept for resumes with Last-Event-ID (0 keeps none). Default: ${DEFAULT-VALUE}")
    int historySize;

    @Option(names = "--history-max-bytes", paramLabel = "SIZE", defaultValue = "64MiB", converter = Units.SizeConverter.class,
            description = "Bytes of encoded updates kept for resumes. Default: ${DEFAULT-VALUE}")
    long historyMaxBytes;

    @Option(names = "--max-body-size", paramLabel = "SIZE", defaultValue = "1MiB", converter = Units.IntSizeConverter.class,
            description = "Largest publish request body; larger ones get 413. Default: ${DEFAULT-VALUE}")
    int maxBodySize;

    @Option(names = "--subscriber-budget", paramLabel = "SIZE", defaultValue = "256KiB", converter = Units.SizeConverter.class,
            description = "Bytes that may wait for one slow subscriber; past it the stream is ended with a retry hint"
                    + " and the client resumes from history. Default: ${DEFAULT-VALUE}")
    long subscriberBudget;

    @Option(names = "--retry", paramLabel = "DURATION", defaultValue = "2s", converter = Units.DurationConverter.class,
            description = "Reconnection delay announced to clients (SSE retry:). Default: ${DEFAULT-VALUE}")
    Duration retry;

    @Option(names = "--slow-client-retry", paramLabel = "DURATION", defaultValue = "500ms",
            converter = Units.DurationConverter.class,
            description = "Reconnection delay announced to a subscriber cut loose for being slow. Default: ${DEFAULT-VALUE}")
    Duration slowClientRetry;

    @Option(names = "--slow-client-grace", paramLabel = "DURATION", defaultValue = "10s",
            converter = Units.DurationConverter.class,
            description = "How long a cut-loose subscriber may take to read its last bytes before the connection is"
                    + " closed anyway. Default: ${DEFAULT-VALUE}")
    Duration slowClientGrace;

    @Option(names = "--slow-client-policy", paramLabel = "POLICY", defaultValue = "disconnect",
            description = "What happens to a subscriber that cannot keep up: disconnect (end its stream with a retry"
                    + " hint; it resumes from history, nothing lost) or conflate (every topic keeps only its latest"
                    + " pending update for that subscriber). Default: ${DEFAULT-VALUE}")
    String slowClientPolicy;

    @Option(names = "--conflate", paramLabel = "SELECTOR",
            description = "Topics (selector; repeatable) for which a subscriber that cannot keep up gets only the latest"
                    + " pending update per topic, e.g. market data. Default: none")
    List<String> conflate;

    @Option(names = "--throttle", paramLabel = "SELECTOR=DURATION",
            description = "At most one live update per matching topic per interval, always the latest (repeatable),"
                    + " e.g. 'https://example.com/quotes/{sym}=100ms'. History keeps every update. Default: none")
    List<String> throttle;

    @Option(names = "--transport", paramLabel = "URL", defaultValue = "memory",
            description = "Where the log of updates lives: memory; nats://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]"
                    + " (tls:// for TLS) for a cluster over NATS JetStream; redis://[user:password@]host:port[/db] (also"
                    + " rediss:// for TLS and redis-sentinel://host:port[,host:port]/db?sentinelMasterId=NAME) for a"
                    + " cluster over a Redis stream; file:///DIR for a durable single-node log. Default: ${DEFAULT-VALUE}")
    String transport;

    @Option(names = "--history-max-age", paramLabel = "DURATION", defaultValue = "0",
            converter = Units.DurationConverter.class,
            description = "Drop log entries older than this from the nats, redis or file transport's log (0 keeps"
                    + " them regardless of age). Default: ${DEFAULT-VALUE}")
    Duration historyMaxAge;

    @Option(names = "--nats-creds", paramLabel = "FILE",
            description = "NATS credentials file (JWT and NKey seed). A token or user and password can instead be"
                    + " given in the --transport URL. Default: none")
    String natsCreds;

    @Option(names = "--nats-stream", paramLabel = "NAME", defaultValue = "SLUICE",
            description = "JetStream stream that holds the log (created or updated at start); with --partitions N,"
                    + " the streams NAME-p0 .. NAME-pN-1. Default: ${DEFAULT-VALUE}")
    String natsStream;

    @Option(names = "--nats-subject", paramLabel = "SUBJECT", defaultValue = "sluice.log",
            description = "NATS subject updates are published on; with --partitions N, the subjects SUBJECT.p0 .."
                    + " SUBJECT.pN-1. Default: ${DEFAULT-VALUE}")
    String natsSubject;

    @Option(names = "--redis-stream", paramLabel = "KEY", defaultValue = "sluice:log",
            description = "Redis stream key holding the log (redis transport). Default: ${DEFAULT-VALUE}")
    String redisStream;

    @Option(names = "--redis-timeout", paramLabel = "DURATION", defaultValue = "2s",
            converter = Units.DurationConverter.class,
            description = "How long a publish waits for Redis before it is answered 503 (redis transport)."
                    + " Default: ${DEFAULT-VALUE}")
    Duration redisTimeout;

    @Option(names = "--file-fsync", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "File transport: force each group commit to disk before acknowledging (--no-file-fsync"
                    + " survives a killed process but not a power loss). Default: ${DEFAULT-VALUE}")
    boolean fileFsync;

    @Option(names = "--allow-non-ascii-ids", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Accept publisher ids with characters outside printable ASCII. Browsers resume after them;"
                    + " Node's EventSource clients cannot send them back and never resume. Default: ${DEFAULT-VALUE}")
    boolean allowNonAsciiIds;

    @Option(names = "--position-event", paramLabel = "TYPE", defaultValue = "",
            description = "Send each stream's resume position as an event of this type with empty data instead of an"
                    + " id-only block, for clients that keep the id only of blocks that dispatch an event (npm"
                    + " eventsource). No onmessage handler sees it. Default: none (an id-only block)")
    String positionEvent;

    @Option(names = "--cors-origins", paramLabel = "ORIGIN", split = ",",
            description = "Origins allowed to subscribe and publish from browsers (comma-separated, or *)."
                    + " Default: none")
    List<String> corsOrigins;

    @Option(names = "--workers", paramLabel = "N",
            description = "I/O threads (each also dispatches to its own subscribers). Default: number of cores")
    Integer workers;

    @Option(names = {"--max-topics-per-subscription", "--max-topics"}, paramLabel = "N", defaultValue = "100",
            description = "Most topic selectors in one subscription; more get 400 (--max-topics is the older name)."
                    + " Default: ${DEFAULT-VALUE}")
    int maxTopics;

    @Option(names = "--max-topic-length", paramLabel = "N", defaultValue = "1024",
            description = "Longest topic or topic selector accepted, in characters (bounds the cost of template"
                    + " matching). Default: ${DEFAULT-VALUE}")
    int maxTopicLength;

    @Option(names = "--max-dispatch-queue", paramLabel = "N", defaultValue = "8192",
            description = "Updates one event loop may have waiting for fan-out; past that the loop stops queueing and"
                    + " reads the updates it missed from history (memory stays bounded by the history)."
                    + " Default: ${DEFAULT-VALUE}")
    int maxDispatchQueue;

    @Option(names = "--max-subscribers", paramLabel = "N", defaultValue = "100000",
            description = "Most concurrent subscribers; more get 503. Default: ${DEFAULT-VALUE}")
    int maxSubscribers;

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", defaultValue = "2s",
            converter = Units.DurationConverter.class,
            description = "On SIGTERM, how long to wait for streams to end before stopping. Default: ${DEFAULT-VALUE}")
    Duration shutdownGrace;

    @Option(names = "--jwt-clock-skew", paramLabel = "DURATION", defaultValue = "5s",
            converter = Units.DurationConverter.class,
            description = "Tolerance for exp/nbf checks. Default: ${DEFAULT-VALUE}")
    Duration jwtClockSkew;

    @Option(names = "--replay-batch", paramLabel = "N", defaultValue = "256",
            description = "Updates a resuming subscriber is sent from history at a time; the next batch waits until"
                    + " its socket has room. Default: ${DEFAULT-VALUE}")
    int replayBatch;

    @Option(names = "--selector-cache", paramLabel = "N", defaultValue = "10000",
            description = "Distinct topic selectors kept compiled (least used forgotten first). Default: ${DEFAULT-VALUE}")
    int selectorCache;

    @Option(names = "--match-cache", paramLabel = "N", defaultValue = "200000",
            description = "Remembered answers to 'does this URI template match this topic'. Default: ${DEFAULT-VALUE}")
    int matchCache;

    @Option(names = "--publisher-token-cache", paramLabel = "N", defaultValue = "10000",
            description = "Verified publisher tokens remembered, so a repeated token is not verified again (exp is"
                    + " still checked on every use). Default: ${DEFAULT-VALUE}")
    int publisherTokenCache;

    @Option(names = "--subscriber-token-cache", paramLabel = "N", defaultValue = "50000",
            description = "Verified subscriber tokens remembered (as --publisher-token-cache). Default: ${DEFAULT-VALUE}")
    int subscriberTokenCache;

    @Option(names = "--token-cache-ttl", paramLabel = "DURATION", defaultValue = "10m",
            converter = Units.DurationConverter.class,
            description = "How long a verified token is remembered at most. Default: ${DEFAULT-VALUE}")
    Duration tokenCacheTtl;

    @Option(names = "--io", paramLabel = "KIND", defaultValue = "auto",
            description = "I/O kind of the sockets: auto (native epoll when available, else io_uring, else NIO;"
                    + " the log says which and why), epoll, io_uring (Linux 5.14+) or nio."
                    + " Default: ${DEFAULT-VALUE}")
    String io;

    // Admission control: who may reach the hub at all (see the README, "Admission control").

    @Option(names = "--max-connections-per-ip", paramLabel = "N", defaultValue = "0",
            description = "Most open SSE streams from one client address; more get 429 with Retry-After. 0: no limit"
                    + " (behind a reverse proxy not in --trusted-proxies every client shares its address)."
                    + " Default: ${DEFAULT-VALUE}")
    int maxConnectionsPerIp;

    @Option(names = "--subscribe-allow", paramLabel = "CIDR", split = ",",
            description = "Only client addresses in these IPv4/IPv6 networks may subscribe (comma-separated, e.g."
                    + " 10.0.0.0/8,2001:db8::/32); others get 403. Default: any")
    List<String> subscribeAllow;

    @Option(names = "--subscribe-deny", paramLabel = "CIDR", split = ",",
            description = "Client addresses in these networks may not subscribe (403); wins over --subscribe-allow."
                    + " Default: none")
    List<String> subscribeDeny;

    @Option(names = "--publish-allow", paramLabel = "CIDR", split = ",",
            description = "Only client addresses in these networks may publish; others get 403. Default: any")
    List<String> publishAllow;

    @Option(names = "--publish-deny", paramLabel = "CIDR", split = ",",
            description = "Client addresses in these networks may not publish (403); wins over --publish-allow."
                    + " Default: none")
    List<String> publishDeny;

    @Option(names = "--trusted-proxies", paramLabel = "CIDR", split = ",",
            description = "Reverse proxies whose Forwarded / X-Forwarded-For headers are believed for the client"
                    + " address (used by the admission options); from any other peer those headers are ignored."
                    + " Default: none")
    List<String> trustedProxies;

    @Option(names = "--publish-rate-per-ip", paramLabel = "RATE", defaultValue = "",
            description = "Most publishes from one client address, as COUNT/UNIT (100/s, 6000/min, 50000/h); the"
                    + " count is also the burst. More get 429 with Retry-After. Default: no limit")
    String publishRatePerIp;

    @Option(names = "--publish-rate-per-token", paramLabel = "RATE", defaultValue = "",
            description = "Most publishes with one token (as --publish-rate-per-ip). Default: no limit")
    String publishRatePerToken;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file with option values (keys without dashes). Env: SLUICE_CONFIG")
    String configFile;

    @Option(names = "--token-issuer", paramLabel = "ISS",
            description = "Publisher and subscriber tokens must carry exactly this iss claim; others get 401."
                    + " Mercure 1.0 access tokens of this issuer are verified with the publisher and subscriber"
                    + " keys. Default: any issuer for 0.x tokens, none for access tokens")
    String tokenIssuer;

    @Option(names = "--trusted-issuer", paramLabel = "ISSUER=KEY",
            description = "An issuer of Mercure 1.0 access tokens (typ at+jwt) and its keys: ISSUER is the exact iss"
                    + " of its tokens, KEY a JWKS URL (http or https), or [ALG:]KEY as for --publisher-jwt-key (an"
                    + " HMAC secret, a PEM public key or the path of a PEM file; ALG defaults to HS256). An access"
                    + " token is verified with the keys of the issuer its iss names and no other; its rights are its"
                    + " authorization_details. Repeatable. 0.x tokens are not affected. Default: none")
    List<String> trustedIssuers;

    @Option(names = "--token-audience", paramLabel = "AUD", split = ",",
            description = "Publisher and subscriber tokens must name one of these in their aud claim; others get"
                    + " 401. Repeatable or comma-separated. Default: any audience")
    List<String> tokenAudiences;

    @Option(names = "--publish-origins", paramLabel = "ORIGIN", split = ",",
            description = "Origins (scheme://host[:port], comma-separated, or *) a publish authenticated by the"
                    + " mercureAuthorization cookie may come from, by its Origin or else Referer header; others"
                    + " get 403. Publishes with the Authorization header or query parameter are not checked."
                    + " Default: none (cookie-authenticated publishes are refused)")
    List<String> publishOrigins;

    @Option(names = "--publisher-jwks-url", paramLabel = "URL",
            description = "Verify publisher tokens with the keys of this JSON Web Key Set (RS*, ES*, HS*, EdDSA; the kid"
                    + " picks the key) instead of --publisher-jwt-key. Cached, refreshed ahead of expiry and on an"
                    + " unknown kid (rate-limited); the last good keys are kept through an outage. Default: none")
    String publisherJwksUrl;

    @Option(names = "--subscriber-jwks-url", paramLabel = "URL",
            description = "As --publisher-jwks-url, for subscriber tokens. Default: none")
    String subscriberJwksUrl;

    @Option(names = "--jwks-cache-ttl", paramLabel = "DURATION", defaultValue = "5m",
            converter = Units.DurationConverter.class,
            description = "How long a fetched JSON Web Key Set is used before it is fetched again. Default: ${DEFAULT-VALUE}")
    Duration jwksCacheTtl;

    @Option(names = "--hub-url", paramLabel = "URL",
            description = "The hub's public URL, e.g. https://hub.example.com/.well-known/mercure: Mercure 1.0"
                    + " resolves relative URL patterns and topics against it, and the protected-resource metadata"
                    + " names it. Default: " + Config.DEFAULT_HUB_URL + " for matching, the request's Host for"
                    + " the metadata")
    String hubUrl;

    @Option(names = "--access-token-cookie", paramLabel = "NAME", defaultValue = Config.DEFAULT_ACCESS_TOKEN_COOKIE,
            description = "Cookie a Mercure 1.0 request may carry its access token in (when it sends no"
                    + " Authorization header). Default: ${DEFAULT-VALUE}")
    String accessTokenCookie;

    @Option(names = "--admin-listen", paramLabel = "[HOST]:PORT",
            description = "A second listener for operators: /metrics, /healthz, /readyz and, with --diagnostics,"
                    + " thread dumps and flight recordings. Bind it to a private interface. Default: none")
    String adminListen;

    @Option(names = "--metrics-on-main", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Serve /metrics on --listen too; --no-metrics-on-main keeps it on --admin-listen only."
                    + " Default: ${DEFAULT-VALUE}")
    boolean metricsOnMain;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Log lines as text or json (one JSON object per line: time, level, logger, thread,"
                    + " message and fields). Default: ${DEFAULT-VALUE}")
    String logFormat;

    @Option(names = "--access-log", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Log every publish and subscribe answer, stream open and stream close (logger"
                    + " sluice.access). Default: ${DEFAULT-VALUE}")
    boolean accessLog;

    @Option(names = "--diagnostics", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Serve a thread dump and Java Flight Recorder recordings on --admin-listen."
                    + " Default: ${DEFAULT-VALUE}")
    boolean diagnostics;

    @Option(names = "--max-recording", paramLabel = "DURATION", defaultValue = "5m",
            converter = Units.DurationConverter.class,
            description = "Longest flight recording /debug/jfr may take (1s to 1h). Default: ${DEFAULT-VALUE}")
    Duration maxRecording;
    @Option(names = "--drain-delay", paramLabel = "DURATION", defaultValue = "0",
            converter = Units.DurationConverter.class,
            description = "On SIGTERM, /readyz answers 503 at once and new connections are still accepted for this"
                    + " long (so load balancers take the node out), then the listener closes. Default: ${DEFAULT-VALUE}")
    Duration drainDelay;

    @Option(names = "--drain-period", paramLabel = "DURATION", defaultValue = "5s",
            converter = Units.DurationConverter.class,
            description = "After --drain-delay, open streams are ended in waves spread over this period, each with"
                    + " a jittered retry and its resume position, so clients reconnect to other nodes gradually;"
                    + " the process exits when the last stream is gone. Default: ${DEFAULT-VALUE}")
    Duration drainPeriod;

    @Option(names = "--subscriptions", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Active subscriptions (Mercure): publish a private subscription event when a subscription"
                    + " starts and ends, and answer GET /.well-known/mercure/subscriptions[/{topic}[/{subscriber}]]"
                    + " for the whole cluster. Default: ${DEFAULT-VALUE}")
    boolean subscriptions;

    @Option(names = "--subscription-lease", paramLabel = "DURATION", defaultValue = "30s",
            converter = Units.DurationConverter.class,
            description = "With --subscriptions: each node announces itself on the log every third of this; the"
                    + " subscriptions of a node not heard from for this long are ended (it died). Default: ${DEFAULT-VALUE}")
    Duration subscriptionLease;

    @Option(names = "--subscriptions-max", paramLabel = "N", defaultValue = "1000000",
            description = "With --subscriptions: most active subscriptions of the whole cluster a node keeps track"
                    + " of; past it new ones are not listed (and counted). Default: ${DEFAULT-VALUE}")
    int subscriptionsMax;
    // TLS and HTTP/2 (see the README, "TLS and HTTP/2").

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key. Read again when"
                    + " the file changes or on SIGHUP, so certificates rotate without a restart. Default: none")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1, unencrypted). Default: none")
    String tlsKey;

    @Option(names = "--tls-self-signed", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Serve HTTPS with a certificate made at start for localhost (local use only: no browser or"
                    + " client trusts it unless told to). Default: ${DEFAULT-VALUE}")
    boolean tlsSelfSigned;

    @Option(names = "--http2-max-concurrent-streams", paramLabel = "N", defaultValue = "1000",
            description = "Most concurrent HTTP/2 streams one connection may open (browsers put every tab's"
                    + " EventSources to one origin on one connection). Default: ${DEFAULT-VALUE}")
    int http2MaxConcurrentStreams;

    @Option(names = "--http3", paramLabel = "on|off",
            description = "Serve HTTP/3 (QUIC) on the UDP port of the same number as the TLS port, and advertise it"
                    + " with Alt-Svc. Default: on when TLS is on and the QUIC native library loads (the start-up line"
                    + " says whether it is served, and why not); --http2-max-concurrent-streams also bounds the"
                    + " concurrent request streams of one QUIC connection")
    String http3;

    // Request limits and timeouts (see the README, "Security").

    @Option(names = "--max-url-length", paramLabel = "SIZE", defaultValue = "8KiB", converter = Units.IntSizeConverter.class,
            description = "Longest request line (method, URL and version); longer gets 414. Default: ${DEFAULT-VALUE}")
    int maxUrlLength;

    @Option(names = "--max-header-size", paramLabel = "SIZE", defaultValue = "16KiB", converter = Units.IntSizeConverter.class,
            description = "Most bytes of request headers in all; more get 431. Default: ${DEFAULT-VALUE}")
    int maxHeaderSize;

    @Option(names = "--max-topics-per-update", paramLabel = "N", defaultValue = "100",
            description = "Most topics (canonical and alternates) in one published update; more get 400."
                    + " Default: ${DEFAULT-VALUE}")
    int maxTopicsPerUpdate;

    @Option(names = "--max-id-length", paramLabel = "N", defaultValue = "1024",
            description = "Longest id a publisher may give an update, in characters; longer gets 400."
                    + " Default: ${DEFAULT-VALUE}")
    int maxIdLength;

    @Option(names = "--max-type-length", paramLabel = "N", defaultValue = "256",
            description = "Longest event type of an update, in characters; longer gets 400. Default: ${DEFAULT-VALUE}")
    int maxTypeLength;

    @Option(names = "--header-timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = Units.DurationConverter.class,
            description = "Time a client has to send a whole request head (line and headers), from its connection or"
                    + " its request's first byte; then 408 and close (0: no limit). Default: ${DEFAULT-VALUE}")
    Duration headerTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = Units.DurationConverter.class,
            description = "A connection that is not an SSE stream is closed after this long without a request (or"
                    + " with a request body that stalls this long); streams are not affected (0: no limit)."
                    + " Default: ${DEFAULT-VALUE}")
    Duration idleTimeout;

    @Option(names = "--max-connection-age", paramLabel = "DURATION", defaultValue = "0",
            converter = Units.DurationConverter.class,
            description = "End each SSE stream after this age plus a random 0-10 %%, with a retry hint; the client"
                    + " resumes from its last event id on any node (0: no limit). Default: ${DEFAULT-VALUE}")
    Duration maxConnectionAge;

    @Option(names = "--socket-send-buffer", paramLabel = "SIZE", defaultValue = "0", converter = Units.IntSizeConverter.class,
            description = "Kernel send buffer of each client connection (SO_SNDBUF); 0 keeps the system's autotuning."
                    + " A small one (e.g. 32KiB) makes a slow subscriber's backlog reach the gateway, where"
                    + " --subscriber-budget and --conflate act on it, instead of waiting in megabytes of kernel"
                    + " buffers. Default: ${DEFAULT-VALUE}")
    int socketSendBuffer;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "1",
            description = "Splits the log of the redis or nats transport into N streams (1 to 64): Redis streams"
                    + " {STREAM-pI}, or JetStream streams STREAM-pI on subjects SUBJECT.pI. Each topic belongs to the"
                    + " partition CRC-32(topic) mod N, and a node reads only the partitions its subscribers need."
                    + " 1 keeps the single stream (--redis-stream, --nats-stream) and plain update ids; above 1 the"
                    + " SSE id is a position over every partition. Default: ${DEFAULT-VALUE}")
    int partitions;

    @Option(names = "--redis-server", paramLabel = "URL",
            description = "Another Redis server for the partition streams (repeatable): partition i lives on server"
                    + " i mod k, where server 0 is the --transport URL and servers 1..k-1 are these, in order."
                    + " Every node must list the same servers in the same order. Not with a Redis Cluster: give one"
                    + " of its nodes with --transport, and each partition goes to the node that serves its slot."
                    + " Default: none")
    List<String> redisServers;
    // The market demo and the dashboard (see the README, "Market demo and dashboard").

    @Option(names = "--demo", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Run the market simulator in this process, publishing through this gateway's publish endpoint"
                    + " with a publisher token, and serve the live board at /. Also allows anonymous subscribers,"
                    + " conflates the quotes and throttles them by --demo-throttle. Default: ${DEFAULT-VALUE}")
    boolean demo;

    @picocli.CommandLine.Mixin
    DemoOptions demoOptions = new DemoOptions();

    @Option(names = "--demo-throttle", paramLabel = "DURATION", defaultValue = "250ms",
            converter = Units.DurationConverter.class,
            description = "With --demo: at most one live quote per symbol per interval for subscribers (0: none)."
                    + " Default: ${DEFAULT-VALUE}")
    Duration demoThrottle;

    @Option(names = "--demo-token", paramLabel = "JWT",
            description = "With --demo: the publisher token the simulator publishes with. Default: one signed with the"
                    + " HMAC publisher key (needed with RS/ES keys or a key set)")
    String demoToken;

    @Option(names = "--dashboard", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Serve a live dashboard of this gateway's metrics at /dashboard, fed by the SSE stream"
                    + " /dashboard/metrics. Default: ${DEFAULT-VALUE}")
    boolean dashboard;

    @Option(names = "--dashboard-interval", paramLabel = "DURATION", defaultValue = "1s",
            converter = Units.DurationConverter.class,
            description = "How often the dashboard stream sends a sample (at least 100ms). Default: ${DEFAULT-VALUE}")
    Duration dashboardInterval;

    @Option(names = "--dashboard-max-streams", paramLabel = "N", defaultValue = "16",
            description = "Most dashboard streams open at a time; more get 503. Default: ${DEFAULT-VALUE}")
    int dashboardMaxStreams;

    Config toConfig() {
        List<String> conflated = conflate == null ? List.of() : conflate;
        java.util.Map<String, Duration> throttled = throttles(throttle);
        if (demo) {
            conflated = new java.util.ArrayList<>(conflated);
            conflated.add(dev.sluice.demo.Topics.ALL_QUOTES);
            if (demoThrottle.isNegative()) {
                throw new ConfigException("--demo-throttle", "must not be negative (0: no throttle)");
            }
            if (!demoThrottle.isZero()) {
                throttled.putIfAbsent(dev.sluice.demo.Topics.ALL_QUOTES, demoThrottle);
            }
        }
        return new Config(parseListen(listen), blankToNull(publisherJwtKey), publisherJwtAlg,
                blankToNull(subscriberJwtKey), subscriberJwtAlg, anonymous || demo, heartbeat, historySize, historyMaxBytes,
                maxBodySize, subscriberBudget, retry, slowClientRetry, slowClientGrace, transport,
                corsOrigins == null ? List.of() : corsOrigins.stream().map(String::trim).filter(s -> !s.isEmpty()).toList(),
                workers == null ? Runtime.getRuntime().availableProcessors() : workers, maxTopics, maxTopicLength, maxSubscribers,
                shutdownGrace, jwtClockSkew, io, conflated, throttled,
                slowClientPolicy, historyMaxAge, blankToNull(natsCreds), natsStream, natsSubject,
                maxDispatchQueue, redisStream, redisTimeout, fileFsync, allowNonAsciiIds, replayBatch, selectorCache, matchCache,
                publisherTokenCache, subscriberTokenCache, tokenCacheTtl,
                blankToNull(positionEvent),
                maxConnectionsPerIp, trimmed(subscribeAllow), trimmed(subscribeDeny), trimmed(publishAllow),
                trimmed(publishDeny), trimmed(trustedProxies), blankToNull(publishRatePerIp),
                blankToNull(publishRatePerToken),
                blankToNull(tokenIssuer),
                tokenAudiences == null ? List.of() : tokenAudiences.stream().map(String::strip).toList(),
                publishOrigins == null ? List.of()
                        : publishOrigins.stream().map(String::strip).filter(s -> !s.isEmpty()).toList(),
                blankToNull(publisherJwksUrl), blankToNull(subscriberJwksUrl), jwksCacheTtl,
                blankToNull(hubUrl), accessTokenCookie,
                adminListen == null || adminListen.isBlank() ? null : parseListen("--admin-listen", adminListen),
                metricsOnMain, logFormat, accessLog, diagnostics, maxRecording,
                drainDelay, drainPeriod, subscriptions, subscriptionLease, subscriptionsMax,
                blankToNull(tlsCert), blankToNull(tlsKey), tlsSelfSigned, http2MaxConcurrentStreams,
                maxUrlLength, maxHeaderSize, maxTopicsPerUpdate, maxIdLength, maxTypeLength, headerTimeout,
                idleTimeout, maxConnectionAge, socketSendBuffer,
                trustedIssuers == null ? List.of() : trustedIssuers.stream().map(String::strip).toList(),
                http3 == null ? "auto" : http3, partitions,
                redisServers == null ? List.of() : redisServers.stream().map(String::strip).filter(v -> !v.isEmpty()).toList());
    }

    /**
     * The token the in-process simulator publishes with: --demo-token, else the token made for this
     * run, else one signed with the HMAC publisher key, allowed to publish the demo's topics only.
     */
    private String demoToken(Gateway gateway) {
        if (demoToken != null && !demoToken.isBlank()) {
            return demoToken.strip();
        }
        if (gateway.generatedPublisherToken() != null) {
            return gateway.generatedPublisherToken();
        }
        Config c = gateway.config();
        dev.sluice.auth.JwtAlgorithm alg = dev.sluice.auth.JwtAlgorithm.parse(c.publisherJwtAlg());
        if (c.publisherJwksUrl() != null || c.publisherJwtKey() == null || !alg.isHmac()) {
            throw new ConfigException("--demo-token", "is needed with --demo when publishers are verified with "
                    + (c.publisherJwksUrl() != null ? "a key set (--publisher-jwks-url)" : alg + " public keys")
                    + ": give a publisher token for " + dev.sluice.demo.Topics.BASE + "quotes/* and bars/*");
        }
        try {
            return dev.sluice.auth.TokenIssuer.hmac(alg, c.publisherJwtKey().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    List.of(dev.sluice.demo.Topics.ALL_QUOTES, dev.sluice.demo.Topics.BASE + "bars/{interval}/{symbol}"),
                    List.of(), null, java.time.Clock.systemUTC(), c.tokenIssuer(), c.tokenAudiences());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--demo-token", "cannot sign one with --publisher-jwt-key: " + e.getMessage());
        }
    }

    /** The gateway's own publish URL, over loopback when it listens on every address. */
    private static java.net.URI publishUri(Gateway gateway) {
        var address = gateway.address().getAddress();
        String host = address == null || address.isAnyLocalAddress() ? "127.0.0.1" : address.getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return java.net.URI.create("http://" + host + ":" + gateway.port() + "/.well-known/mercure");
    }

    private static String browserHost(Gateway gateway) {
        var address = gateway.address().getAddress();
        return address == null || address.isAnyLocalAddress() || address.isLoopbackAddress() ? "localhost"
                : address.getHostAddress();
    }

    /** A comma-separated list without blank entries (an empty value means none). */
    static List<String> trimmed(List<String> values) {
        return values == null ? List.of() : values.stream().map(String::trim).filter(v -> !v.isEmpty()).toList();
    }

    /** {@code SELECTOR=DURATION} pairs; the last '=' separates, as selectors may contain '='. */
    static java.util.Map<String, Duration> throttles(List<String> specs) {
        java.util.Map<String, Duration> out = new java.util.LinkedHashMap<>();
        if (specs == null) {
            return out;
        }
        for (String spec : specs) {
            int eq = spec.lastIndexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--throttle", "'" + spec + "' must be SELECTOR=DURATION, e.g. quotes/{s}=100ms");
            }
            try {
                out.put(spec.substring(0, eq), Units.duration(spec.substring(eq + 1)));
            } catch (picocli.CommandLine.TypeConversionException e) {
                throw new ConfigException("--throttle", e.getMessage());
            }
        }
        return out;
    }

    static InetSocketAddress parseListen(String text) {
        return parseListen("--listen", text);
    }

    static InetSocketAddress parseListen(String option, String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigException(option, "'" + text + "' has no port: use :8080 or 127.0.0.1:8080");
        }
        String host = text.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(option, "'" + text + "' has no valid port: use :8080 or 127.0.0.1:8080");
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException(option, "port " + port + " is out of range 0-65535");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** SIGHUP reads the certificate and key files again (they are also watched for changes). */
    private static void reloadOnSighup(Gateway gateway) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> gateway.tls().reload());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // No SIGHUP here (or the JVM keeps it): changed files are still picked up within a second.
            System.err.println("sluice serve: SIGHUP cannot be handled here (" + e.getMessage()
                    + "); certificate files are still read again when they change");
        }
    }

    @Override
    public Integer call() throws Exception {
        Gateway gateway;
        Config config = toConfig(); // a ConfigException is answered by Main: one line, exit 2
        dev.sluice.ops.Logging.configure(config.logFormat());
        dev.sluice.demo.DemoSettings demoSettings = demo ? demoOptions.settings() : null;
        if (dashboard && dashboardInterval.toMillis() < 100) {
            throw new ConfigException("--dashboard-interval", "must be at least 100ms, got " + dashboardInterval);
        }
        if (dashboard && dashboardMaxStreams < 1) {
            throw new ConfigException("--dashboard-max-streams", "must be at least 1, got " + dashboardMaxStreams);
        }
        try {
            gateway = Gateway.start(config, metrics -> demo || dashboard
                    ? dev.sluice.demo.DemoPages.extras(demo, dashboard, metrics, dashboardInterval, dashboardMaxStreams)
                    : dev.sluice.edge.Extras.NONE); // a ConfigException is answered by Main: one line, exit 2
        } catch (dev.sluice.transport.TransportUnavailableException e) {
            System.err.println("sluice serve: cannot start: " + e.getMessage());
            return 1;
        } catch (io.netty.channel.unix.Errors.NativeIoException | java.net.BindException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(Gateway.ADMIN_BIND_FAILURE)) {
                System.err.println("sluice serve: cannot listen on " + e.getMessage().substring(
                        Gateway.ADMIN_BIND_FAILURE.length()) + " (--admin-listen; is another process using it?)");
                return 1;
            }
            System.err.println("sluice serve: cannot listen on " + listen + ": " + e.getMessage()
                    + " (is another process using it? choose another with --listen)");
            return 1;
        }
        System.out.println("Sluice listening on " + gateway.address() + " (" + gateway.io() + ")");
        if (gateway.tls() != null) {
            System.out.println("  " + gateway.tls().describe());
            System.out.println("  " + gateway.describeHttp3());
            if (!gateway.tls().selfSigned()) {
                reloadOnSighup(gateway);
            }
        } else {
            System.out.println("  plain HTTP: HTTP/1.1, and HTTP/2 in cleartext (prior knowledge or Upgrade: h2c)");
        }
        if (gateway.adminAddress() != null) {
            System.out.println("Admin listener on " + gateway.adminAddress() + " (" + gateway.adminRoutes() + ")"
                    + (config.metricsOnMain() ? "" : "; /metrics is not served on " + gateway.address()));
        }
        if (gateway.generatedPublisherToken() != null) {
            System.out.println();
            System.out.println("No --publisher-jwt-key was given, so this run uses a random "
                    + gateway.config().publisherJwtAlg().toUpperCase(java.util.Locale.ROOT) + " secret (the --secret of"
                    + " ./sluice token):");
            System.out.println("  secret:          " + gateway.generatedSecret());
            System.out.println("  publisher token: " + gateway.generatedPublisherToken());
            System.out.println("(the token may publish to and subscribe to every topic; it is valid for this run only)");
            System.out.println();
        }
        dev.sluice.demo.DemoFeed feed = null;
        if (demo) {
            String token;
            try {
                token = demoToken(gateway);
            } catch (ConfigException e) {
                gateway.close();
                throw e;
            }
            feed = dev.sluice.demo.DemoFeed.start(demoSettings, publishUri(gateway), token);
            System.out.println("Market demo: http://" + browserHost(gateway) + ":" + gateway.port() + "/ ("
                    + demoSettings.symbols().size() + " symbols, " + java.math.BigDecimal.valueOf(demoOptions.rate)
                    .stripTrailingZeros().toPlainString() + " quotes/s each, seed "
                    + demoOptions.seed + ")");
        }
        if (dashboard) {
            System.out.println("Dashboard:   http://" + browserHost(gateway) + ":" + gateway.port() + "/dashboard");
        }
        System.out.flush();
        dev.sluice.demo.DemoFeed running = feed;
        // Ctrl-C and SIGTERM start the JVM's shutdown, whose exit code would be 130 or 143. A
        // requested stop is a success: the hook drains (readiness off, the listener closed after
        // --drain-delay, streams ended in waves over --drain-period), then ends the process with 0
        // (halt, as exit may not be called during shutdown). Nothing else calls exit while serving.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (running != null) {
                running.close();
            }
            gateway.drain();
            gateway.close();
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(0);
        }, "sluice-stop"));
        new CountDownLatch(1).await(); // serve until the process is stopped
        return 0;
    }
}
