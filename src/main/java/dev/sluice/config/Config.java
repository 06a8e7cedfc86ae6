package dev.sluice.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the gateway is configured with, validated once at start. Each component is one
 * command-line option ({@code --kebab-case}), one environment variable ({@code SLUICE_SNAKE_CASE})
 * and one config-file key; see {@code ServeCommand} for the user-facing text.
 *
 * <p>Keys are kept as strings (secret or PEM, or a PEM file path) and parsed by the auth package,
 * so an invalid key stops start-up with a message naming its option.
 */
public record Config(
        InetSocketAddress listen,
        String publisherJwtKey,
        String publisherJwtAlg,
        String subscriberJwtKey,
        String subscriberJwtAlg,
        boolean anonymous,
        Duration heartbeat,
        int historySize,
        long historyMaxBytes,
        int maxBodySize,
        long subscriberBudget,
        Duration retry,
        Duration slowClientRetry,
        Duration slowClientGrace,
        String transport,
        List<String> corsOrigins,
        int workers,
        int maxTopicsPerSubscription,
        int maxTopicLength,
        int maxSubscribers,
        Duration shutdownGrace,
        Duration jwtClockSkew,
        String io,
        List<String> conflate,
        Map<String, Duration> throttle,
        String slowClientPolicy,
        Duration historyMaxAge,
        String natsCreds,
        String natsStream,
        String natsSubject,
        int maxDispatchQueue,
        String redisStream,
        Duration redisTimeout,
        boolean fileFsync,
        boolean allowNonAsciiIds,
        int replayBatch,
        int selectorCache,
        int matchCache,
        int publisherTokenCache,
        int subscriberTokenCache,
        Duration tokenCacheTtl,
        String positionEvent,
        int maxConnectionsPerIp,
        List<String> subscribeAllow,
        List<String> subscribeDeny,
        List<String> publishAllow,
        List<String> publishDeny,
        List<String> trustedProxies,
        String publishRatePerIp,
        String publishRatePerToken,
        String tokenIssuer,
        List<String> tokenAudiences,
        List<String> publishOrigins,
        String publisherJwksUrl,
        String subscriberJwksUrl,
        Duration jwksCacheTtl,
        String hubUrl,
        String accessTokenCookie,
        InetSocketAddress adminListen,
        boolean metricsOnMain,
        String logFormat,
        boolean accessLog,
        boolean diagnostics,
        Duration maxRecording,
        Duration drainDelay,
        Duration drainPeriod,
        boolean subscriptions,
        Duration subscriptionLease,
        int subscriptionsMax,

        String tlsCert,
        String tlsKey,
        boolean tlsSelfSigned,
        int http2MaxConcurrentStreams,
        int maxUrlLength,
        int maxHeaderSize,
        int maxTopicsPerUpdate,
        int maxIdLength,
        int maxTypeLength,
        Duration headerTimeout,
        Duration idleTimeout,
        Duration maxConnectionAge,
        int socketSendBuffer,
        List<String> trustedIssuers,
        String http3,
        int partitions,
        List<String> redisServers) {

    /**
     * The hub's URL when {@code --hub-url} is not given: relative URL patterns and topics resolve
     * against it, so {@code /books/:id} matches the topic {@code /books/1} on any host.
     */
    public static final String DEFAULT_HUB_URL = "https://localhost/.well-known/mercure";

    /** The cookie Mercure 1.0 recommends for access tokens. */
    public static final String DEFAULT_ACCESS_TOKEN_COOKIE = "__Secure-mercure_access_token";

    /** The hub's URL: {@code --hub-url}, or {@link #DEFAULT_HUB_URL}. */
    public String hubUrlOrDefault() {
        return hubUrl == null ? DEFAULT_HUB_URL : hubUrl;
    }

    /**
     * What {@code --position-event} may be: a plain token (so it cannot add SSE fields), never
     * {@code message} (every {@code onmessage} handler would see it).
     */
    /**
     * The most partitions a log may have: a subscriber's set of partitions is one 64-bit mask, so
     * deciding which copy of an update it takes is one bit operation on the delivery path.
     */
    public static final int MAX_PARTITIONS = 64;

    public static final String POSITION_EVENT_TYPE = "(?!message$)[A-Za-z0-9._-]{1,64}";

    public Config {
        Objects.requireNonNull(listen, "listen");
        corsOrigins = List.copyOf(corsOrigins);
        conflate = List.copyOf(conflate);
        throttle = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(throttle));
        check(slowClientPolicy.equals("disconnect") || slowClientPolicy.equals("conflate"), "--slow-client-policy",
                "must be disconnect or conflate, got " + slowClientPolicy);
        for (var t : throttle.entrySet()) {
            check(!t.getKey().isEmpty(), "--throttle", "the selector before '=' must not be empty");
            check(!t.getValue().isNegative() && !t.getValue().isZero() && t.getValue().toHours() < 1, "--throttle",
                    "the interval of '" + t.getKey() + "' must be positive and under an hour, got " + t.getValue());
        }
        check(historySize >= 0, "--history-size", "must be 0 or more (0 keeps no history), got " + historySize);
        check(historyMaxBytes >= 0, "--history-max-bytes", "must be 0 or more, got " + historyMaxBytes);
        check(maxBodySize >= 64, "--max-body-size", "must be at least 64 bytes, got " + maxBodySize);
        check(historySize == 0 || historyMaxBytes >= 2L * maxBodySize, "--history-max-bytes",
                "must be at least twice --max-body-size (" + maxBodySize + ") so that any accepted update fits"
                        + " in history; got " + historyMaxBytes);
        check(subscriberBudget >= 4096, "--subscriber-budget", "must be at least 4096 bytes, got " + subscriberBudget);
        check(!heartbeat.isNegative(), "--heartbeat", "must not be negative (0 disables heartbeats)");
        check(!retry.isNegative() && !retry.isZero(), "--retry", "must be positive");
        check(!slowClientRetry.isNegative(), "--slow-client-retry", "must not be negative");
        check(!slowClientGrace.isNegative() && !slowClientGrace.isZero(), "--slow-client-grace", "must be positive");
        check(workers >= 1 && workers <= 256, "--workers", "must be between 1 and 256, got " + workers);
        check(maxTopicsPerSubscription >= 1, "--max-topics-per-subscription", "must be at least 1, got " + maxTopicsPerSubscription);
        check(maxTopicLength >= 16, "--max-topic-length", "must be at least 16, got " + maxTopicLength);
        check(maxDispatchQueue >= 1, "--max-dispatch-queue", "must be at least 1, got " + maxDispatchQueue);
        check(maxSubscribers >= 1, "--max-subscribers", "must be at least 1, got " + maxSubscribers);
        check(!shutdownGrace.isNegative(), "--shutdown-grace", "must not be negative");
        check(!jwtClockSkew.isNegative(), "--jwt-clock-skew", "must not be negative");
        check(io != null && (io.equals("auto") || io.equals("epoll") || io.equals("io_uring") || io.equals("nio")),
                "--io", "must be auto, epoll, io_uring or nio, got " + io);
        check(transport != null && !transport.isBlank(), "--transport", "must name a transport, e.g. memory");
        check(historyMaxAge != null && !historyMaxAge.isNegative(), "--history-max-age",
                "must not be negative (0 keeps entries regardless of age)");
        check(natsStream != null && natsStream.matches("[A-Za-z0-9_-]{1,255}"), "--nats-stream",
                "'" + natsStream + "' is not a JetStream stream name: use letters, digits, '-' and '_'");
        check(natsSubject != null && natsSubject.matches("[^.*>\\s]+(\\.[^.*>\\s]+)*"), "--nats-subject",
                "'" + natsSubject + "' is not a NATS subject without wildcards, e.g. sluice.log");
        check(redisStream != null && !redisStream.isBlank(), "--redis-stream", "must name a stream key, e.g. sluice:log");
        check(redisTimeout != null && redisTimeout.toMillis() >= 10, "--redis-timeout",
                "must be at least 10ms, got " + redisTimeout);
        check(replayBatch >= 1 && replayBatch <= 65_536, "--replay-batch", "must be between 1 and 65536, got "
                + replayBatch);
        check(selectorCache >= 0, "--selector-cache", "must be 0 or more, got " + selectorCache);
        check(matchCache >= 0, "--match-cache", "must be 0 or more, got " + matchCache);
        check(publisherTokenCache >= 0, "--publisher-token-cache", "must be 0 or more, got " + publisherTokenCache);
        check(subscriberTokenCache >= 0, "--subscriber-token-cache", "must be 0 or more, got " + subscriberTokenCache);
        check(tokenCacheTtl != null && !tokenCacheTtl.isNegative(), "--token-cache-ttl", "must not be negative");
        check(positionEvent == null || positionEvent.matches(POSITION_EVENT_TYPE), "--position-event",
                "must be a plain event type (letters, digits, '.', '_', '-'; at most 64) other than 'message', got '"
                        + positionEvent + "'");
        check(maxConnectionsPerIp >= 0, "--max-connections-per-ip",
                "must be 0 (no limit) or more, got " + maxConnectionsPerIp);
        subscribeAllow = networks("--subscribe-allow", subscribeAllow);
        subscribeDeny = networks("--subscribe-deny", subscribeDeny);
        publishAllow = networks("--publish-allow", publishAllow);
        publishDeny = networks("--publish-deny", publishDeny);
        trustedProxies = networks("--trusted-proxies", trustedProxies);
        rate("--publish-rate-per-ip", publishRatePerIp);
        rate("--publish-rate-per-token", publishRatePerToken);
        tokenAudiences = List.copyOf(tokenAudiences);
        check(tokenIssuer == null || !tokenIssuer.isBlank(), "--token-issuer", "must not be blank");
        for (String audience : tokenAudiences) {
            check(!audience.isBlank(), "--token-audience", "must not be blank");
        }
        publishOrigins = List.copyOf(publishOrigins);
        for (String origin : publishOrigins) {
            check(origin.equals("*") || origin.matches("https?://[^/\\s]+"), "--publish-origins",
                    "'" + origin + "' is not an origin: use scheme://host[:port] or *");
        }
        check(publisherJwksUrl == null || publisherJwksUrl.matches("https?://\\S+"), "--publisher-jwks-url",
                "must be an http or https URL, got '" + publisherJwksUrl + "'");
        check(subscriberJwksUrl == null || subscriberJwksUrl.matches("https?://\\S+"), "--subscriber-jwks-url",
                "must be an http or https URL, got '" + subscriberJwksUrl + "'");
        check(publisherJwksUrl == null || publisherJwtKey == null, "--publisher-jwks-url",
                "give either --publisher-jwt-key or --publisher-jwks-url, not both");
        check(subscriberJwksUrl == null || subscriberJwtKey == null, "--subscriber-jwks-url",
                "give either --subscriber-jwt-key or --subscriber-jwks-url, not both");
        check(hubUrl == null || hubUrl.matches("https?://[^/\\s?#]+(/[^\\s?#]*)?"), "--hub-url",
                "must be an absolute http or https URL without query or fragment, such as"
                        + " https://hub.example.com/.well-known/mercure; got '" + hubUrl + "'");
        check(accessTokenCookie != null && accessTokenCookie.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}"),
                "--access-token-cookie", "must be a cookie name (RFC 6265 token characters), got '"
                        + accessTokenCookie + "'");
        check(jwksCacheTtl != null && jwksCacheTtl.toMillis() >= 100, "--jwks-cache-ttl",
                "must be at least 100ms, got " + jwksCacheTtl);
        check(logFormat != null && (logFormat.equals("text") || logFormat.equals("json")), "--log-format",
                "must be text or json, got " + logFormat);
        check(metricsOnMain || adminListen != null, "--no-metrics-on-main",
                "needs --admin-listen: without it /metrics would be served nowhere");
        check(!diagnostics || adminListen != null, "--diagnostics",
                "needs --admin-listen: diagnostics are served only on the admin listener, never on the public port");
        check(maxRecording != null && maxRecording.toSeconds() >= 1 && maxRecording.toSeconds() <= 3600,
                "--max-recording", "must be between 1s and 1h, got " + maxRecording);
        check(adminListen == null || adminListen.getPort() == 0 || adminListen.getPort() != listen.getPort()
                || !sameHost(adminListen, listen), "--admin-listen",
                "must differ from --listen (" + listen + "): the admin listener is a socket of its own");
        check(drainDelay != null && !drainDelay.isNegative() && drainDelay.compareTo(Duration.ofHours(1)) <= 0, "--drain-delay",
                "must be between 0 and 1h, got " + drainDelay);
        check(drainPeriod != null && !drainPeriod.isNegative() && drainPeriod.compareTo(Duration.ofHours(1)) <= 0, "--drain-period",
                "must be between 0 and 1h, got " + drainPeriod);
        check(subscriptionLease != null && subscriptionLease.compareTo(Duration.ofMillis(300)) >= 0
                        && subscriptionLease.compareTo(Duration.ofHours(24)) <= 0,
                "--subscription-lease", "must be between 300ms and 24h, got " + subscriptionLease);
        check(subscriptionsMax >= 1, "--subscriptions-max", "must be at least 1, got " + subscriptionsMax);
        check((tlsCert == null) == (tlsKey == null), tlsCert == null ? "--tls-cert" : "--tls-key",
                "--tls-cert and --tls-key go together: give both (PEM files), or neither");
        check(!(tlsSelfSigned && tlsCert != null), "--tls-self-signed",
                "give either --tls-cert/--tls-key or --tls-self-signed, not both");
        check(http2MaxConcurrentStreams >= 1, "--http2-max-concurrent-streams",
                "must be at least 1, got " + http2MaxConcurrentStreams);
        check(maxUrlLength >= 256 && maxUrlLength <= (1 << 20), "--max-url-length",
                "must be between 256 bytes and 1MiB, got " + maxUrlLength);
        check(maxHeaderSize >= 1024 && maxHeaderSize <= (1 << 20), "--max-header-size",
                "must be between 1KiB and 1MiB, got " + maxHeaderSize);
        check(maxTopicsPerUpdate >= 1 && maxTopicsPerUpdate <= 1000, "--max-topics-per-update",
                "must be between 1 and 1000, got " + maxTopicsPerUpdate);
        check(maxIdLength >= 36, "--max-id-length", "must be at least 36 (generated ids have 45 characters), got "
                + maxIdLength);
        check(maxTypeLength >= 1, "--max-type-length", "must be at least 1, got " + maxTypeLength);
        check(headerTimeout != null && !headerTimeout.isNegative(), "--header-timeout",
                "must not be negative (0 disables it)");
        check(idleTimeout != null && !idleTimeout.isNegative(), "--idle-timeout", "must not be negative (0 disables it)");
        check(http3 != null && (http3.equals("auto") || http3.equals("on") || http3.equals("off")), "--http3",
                "must be on or off, got " + http3);
        check(!"on".equals(http3) || tls(), "--http3",
                "HTTP/3 runs over QUIC, which is always TLS: give --tls-cert/--tls-key or --tls-self-signed, or --http3 off");
        redisServers = List.copyOf(redisServers == null ? List.of() : redisServers);
        check(partitions >= 1 && partitions <= MAX_PARTITIONS, "--partitions",
                "must be from 1 to " + MAX_PARTITIONS + ", got " + partitions);
        for (String server : redisServers) {
            check(server.startsWith("redis://") || server.startsWith("rediss://") || server.startsWith("redis-sentinel://")
                    || server.startsWith("rediss-sentinel://"), "--redis-server",
                    "'" + server.replaceAll("//[^@/]*@", "//***@") + "' is not a Redis URL (redis://host:port[/db])");
        }
        check(redisServers.isEmpty() || partitions > redisServers.size(), "--redis-server",
                "spreads the partitions over several servers: give --partitions more than the number of servers ("
                        + (redisServers.size() + 1) + " with the --transport one), got --partitions " + partitions);
        check(socketSendBuffer == 0 || (socketSendBuffer >= 4096 && socketSendBuffer <= (64 << 20)),
                "--socket-send-buffer", "must be 0 (the system's autotuning) or between 4KiB and 64MiB, got "
                        + socketSendBuffer);
        check(maxConnectionAge != null && !maxConnectionAge.isNegative()
                && (maxConnectionAge.isZero() || maxConnectionAge.toMillis() >= 1000), "--max-connection-age",
                "must be 0 (no limit) or at least 1s, got " + maxConnectionAge);
        for (String origin : corsOrigins) {
            check(origin.equals("*") || origin.matches("https?://[^/\\s]+"), "--cors-origins",
                    "'" + origin + "' is not an origin: use scheme://host[:port] or *");
        }
        trustedIssuers = List.copyOf(trustedIssuers == null ? List.of() : trustedIssuers);
        trustedIssuerKeys(trustedIssuers);
    }

    /**
     * {@code --trusted-issuer} values ({@code ISSUER=KEY}, split at the first {@code =}) as issuer
     * to key, in the order given. The key is checked by the gateway, which knows the key formats;
     * here, that each value has both parts and that no issuer is given twice. Messages never show
     * the key, which may be a secret.
     */
    public Map<String, String> trustedIssuerKeys() {
        return trustedIssuerKeys(trustedIssuers);
    }

    private static Map<String, String> trustedIssuerKeys(List<String> values) {
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        for (String value : values) {
            int eq = value == null ? -1 : value.indexOf('=');
            check(eq > 0 && !value.substring(0, eq).isBlank(), "--trusted-issuer",
                    "must be ISSUER=KEY (the exact iss of the issuer's tokens, then its secret, PEM public key or"
                            + " file, or JWKS URL), got a value " + (eq < 0 ? "without '='" : "without an issuer"));
            String issuer = value.substring(0, eq).strip();
            String key = value.substring(eq + 1).strip();
            check(!key.isEmpty(), "--trusted-issuer", "issuer '" + issuer + "' has no key after '='");
            check(!keys.containsKey(issuer), "--trusted-issuer", "issuer '" + issuer + "' is given twice; give all"
                    + " its keys in one JWKS URL instead");
            keys.put(issuer, key);
        }
        return keys;
    }

    /** A rate such as 100/s (null: no limit): it must parse, or start-up stops naming the option. */
    private static void rate(String option, String spec) {
        if (spec != null) {
            try {
                Rate.parse(spec);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(option, e.getMessage());
            }
        }
    }

    /** A list of IPv4/IPv6 networks: each must parse, or start-up stops naming the option. */
    private static List<String> networks(String option, List<String> specs) {
        List<String> out = List.copyOf(specs == null ? List.of() : specs);
        for (String spec : out) {
            try {
                Cidr.parse(spec);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(option, e.getMessage());
            }
        }
        return out;
    }

    /** Two listen addresses on the same interface (a wildcard address shares every interface). */
    private static boolean sameHost(InetSocketAddress a, InetSocketAddress b) {
        if (a.getAddress() == null || b.getAddress() == null) {
            return true;
        }
        return a.getAddress().isAnyLocalAddress() || b.getAddress().isAnyLocalAddress()
                || a.getAddress().equals(b.getAddress());
    }

    private static void check(boolean ok, String option, String message) {
        if (!ok) {
            throw new ConfigException(option, message);
        }
    }

    /** True when the HTTP port speaks TLS (certificate files or a self-signed certificate). */
    public boolean tls() {
        return tlsCert != null || tlsSelfSigned;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults that work at once; every value is the documented default of its option. */
    public static final class Builder {
        public InetSocketAddress listen = new InetSocketAddress(8080);
        public String publisherJwtKey;
        public String publisherJwtAlg = "HS256";
        public String subscriberJwtKey;
        public String subscriberJwtAlg = "HS256";
        public boolean anonymous;
        public Duration heartbeat = Duration.ofSeconds(15);
        public int historySize = 10_000;
        public long historyMaxBytes = 64L << 20;
        public int maxBodySize = 1 << 20;
        public long subscriberBudget = 256L << 10;
        public Duration retry = Duration.ofSeconds(2);
        public Duration slowClientRetry = Duration.ofMillis(500);
        public Duration slowClientGrace = Duration.ofSeconds(10);
        public String transport = "memory";
        public List<String> corsOrigins = List.of();
        public int workers = Runtime.getRuntime().availableProcessors();
        public int maxTopicsPerSubscription = 100;
        public int maxTopicLength = 1024;
        public int maxSubscribers = 100_000;
        public Duration shutdownGrace = Duration.ofSeconds(2);
        public Duration jwtClockSkew = Duration.ofSeconds(5);
        public String io = "auto";
        public List<String> conflate = List.of();
        public Map<String, Duration> throttle = Map.of();
        public String slowClientPolicy = "disconnect";
        public Duration historyMaxAge = Duration.ZERO;
        public String natsCreds;
        public String natsStream = "SLUICE";
        public String natsSubject = "sluice.log";
        public int maxDispatchQueue = 8192;
        public String redisStream = "sluice:log";
        public Duration redisTimeout = Duration.ofSeconds(2);
        public boolean fileFsync = true;
        public boolean allowNonAsciiIds;
        public int replayBatch = 256;
        public int selectorCache = 10_000;
        public int matchCache = 200_000;
        public int publisherTokenCache = 10_000;
        public int subscriberTokenCache = 50_000;
        public Duration tokenCacheTtl = Duration.ofMinutes(10);
        public String positionEvent;
        public int maxConnectionsPerIp;
        public List<String> subscribeAllow = List.of();
        public List<String> subscribeDeny = List.of();
        public List<String> publishAllow = List.of();
        public List<String> publishDeny = List.of();
        public List<String> trustedProxies = List.of();
        public String publishRatePerIp;
        public String publishRatePerToken;
        public String tokenIssuer;
        public List<String> tokenAudiences = List.of();
        public List<String> publishOrigins = List.of();
        public String publisherJwksUrl;
        public String subscriberJwksUrl;
        public Duration jwksCacheTtl = Duration.ofMinutes(5);
        public String hubUrl;
        public String accessTokenCookie = DEFAULT_ACCESS_TOKEN_COOKIE;
        public InetSocketAddress adminListen;
        public boolean metricsOnMain = true;
        public String logFormat = "text";
        public boolean accessLog;
        public boolean diagnostics;
        public Duration maxRecording = Duration.ofMinutes(5);
        public Duration drainDelay = Duration.ZERO;
        public Duration drainPeriod = Duration.ofSeconds(5);
        public boolean subscriptions;
        public Duration subscriptionLease = Duration.ofSeconds(30);
        public int subscriptionsMax = 1_000_000;
        public String tlsCert;
        public String tlsKey;
        public boolean tlsSelfSigned;
        public int http2MaxConcurrentStreams = 1000;
        public int maxUrlLength = 8192;
        public int maxHeaderSize = 16384;
        public int maxTopicsPerUpdate = 100;
        public int maxIdLength = 1024;
        public int maxTypeLength = 256;
        public Duration headerTimeout = Duration.ofSeconds(10);
        public Duration idleTimeout = Duration.ofSeconds(60);
        public Duration maxConnectionAge = Duration.ZERO;
        public int socketSendBuffer;
        public List<String> trustedIssuers = List.of();
        /** {@code auto} (on with TLS where QUIC loads), {@code on} or {@code off}. */
        public String http3 = "auto";
        public int partitions = 1;
        public List<String> redisServers = List.of();

        public Builder listen(InetSocketAddress v) { listen = v; return this; }
        public Builder publisherJwt(String key, String alg) { publisherJwtKey = key; publisherJwtAlg = alg; return this; }
        public Builder subscriberJwt(String key, String alg) { subscriberJwtKey = key; subscriberJwtAlg = alg; return this; }
        public Builder anonymous(boolean v) { anonymous = v; return this; }
        public Builder heartbeat(Duration v) { heartbeat = v; return this; }
        public Builder historySize(int v) { historySize = v; return this; }
        public Builder historyMaxBytes(long v) { historyMaxBytes = v; return this; }
        public Builder maxBodySize(int v) { maxBodySize = v; return this; }
        public Builder subscriberBudget(long v) { subscriberBudget = v; return this; }
        public Builder retry(Duration v) { retry = v; return this; }
        public Builder transport(String v) { transport = v; return this; }
        public Builder corsOrigins(List<String> v) { corsOrigins = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder maxTopicsPerSubscription(int v) { maxTopicsPerSubscription = v; return this; }
        public Builder maxSubscribers(int v) { maxSubscribers = v; return this; }
        public Builder maxTopicLength(int v) { maxTopicLength = v; return this; }
        public Builder maxDispatchQueue(int v) { maxDispatchQueue = v; return this; }
        public Builder io(String v) { io = v; return this; }
        public Builder conflate(List<String> v) { conflate = v; return this; }
        public Builder throttle(Map<String, Duration> v) { throttle = v; return this; }
        public Builder slowClientPolicy(String v) { slowClientPolicy = v; return this; }
        public Builder slowClientGrace(Duration v) { slowClientGrace = v; return this; }
        public Builder shutdownGrace(Duration v) { shutdownGrace = v; return this; }
        public Builder historyMaxAge(Duration v) { historyMaxAge = v; return this; }
        public Builder nats(String creds, String stream, String subject) {
            natsCreds = creds; natsStream = stream; natsSubject = subject; return this;
        }
        public Builder redisStream(String v) { redisStream = v; return this; }
        public Builder redisTimeout(Duration v) { redisTimeout = v; return this; }
        public Builder fileFsync(boolean v) { fileFsync = v; return this; }
        public Builder allowNonAsciiIds(boolean v) { allowNonAsciiIds = v; return this; }
        public Builder replayBatch(int v) { replayBatch = v; return this; }
        public Builder selectorCache(int selectors, int matches) { selectorCache = selectors; matchCache = matches; return this; }
        public Builder tokenCache(int publishers, int subscribers, Duration ttl) {
            publisherTokenCache = publishers; subscriberTokenCache = subscribers; tokenCacheTtl = ttl; return this;
        }
        public Builder positionEvent(String v) { positionEvent = v; return this; }
        public Builder maxConnectionsPerIp(int v) { maxConnectionsPerIp = v; return this; }
        public Builder subscribeAllow(List<String> v) { subscribeAllow = v; return this; }
        public Builder subscribeDeny(List<String> v) { subscribeDeny = v; return this; }
        public Builder publishAllow(List<String> v) { publishAllow = v; return this; }
        public Builder publishDeny(List<String> v) { publishDeny = v; return this; }
        public Builder trustedProxies(List<String> v) { trustedProxies = v; return this; }
        public Builder publishRatePerIp(String v) { publishRatePerIp = v; return this; }
        public Builder publishRatePerToken(String v) { publishRatePerToken = v; return this; }
        public Builder tokenIssuer(String v) { tokenIssuer = v; return this; }
        public Builder tokenAudiences(List<String> v) { tokenAudiences = v; return this; }
        public Builder publishOrigins(List<String> v) { publishOrigins = v; return this; }
        public Builder publisherJwksUrl(String v) { publisherJwksUrl = v; return this; }
        public Builder subscriberJwksUrl(String v) { subscriberJwksUrl = v; return this; }
        public Builder jwksCacheTtl(Duration v) { jwksCacheTtl = v; return this; }
        public Builder hubUrl(String v) { hubUrl = v; return this; }
        public Builder accessTokenCookie(String v) { accessTokenCookie = v; return this; }
        public Builder adminListen(InetSocketAddress v) { adminListen = v; return this; }
        public Builder metricsOnMain(boolean v) { metricsOnMain = v; return this; }
        public Builder logFormat(String v) { logFormat = v; return this; }
        public Builder accessLog(boolean v) { accessLog = v; return this; }
        public Builder diagnostics(boolean v) { diagnostics = v; return this; }
        public Builder maxRecording(Duration v) { maxRecording = v; return this; }
        public Builder drain(Duration delay, Duration period) { drainDelay = delay; drainPeriod = period; return this; }
        public Builder subscriptions(boolean v) { subscriptions = v; return this; }
        public Builder subscriptionLease(Duration v) { subscriptionLease = v; return this; }
        public Builder subscriptionsMax(int v) { subscriptionsMax = v; return this; }
        public Builder tls(String certFile, String keyFile) { tlsCert = certFile; tlsKey = keyFile; return this; }
        public Builder tlsSelfSigned(boolean v) { tlsSelfSigned = v; return this; }
        public Builder http2MaxConcurrentStreams(int v) { http2MaxConcurrentStreams = v; return this; }
        public Builder maxUrlLength(int v) { maxUrlLength = v; return this; }
        public Builder maxHeaderSize(int v) { maxHeaderSize = v; return this; }
        public Builder maxTopicsPerUpdate(int v) { maxTopicsPerUpdate = v; return this; }
        public Builder maxIdLength(int v) { maxIdLength = v; return this; }
        public Builder maxTypeLength(int v) { maxTypeLength = v; return this; }
        public Builder headerTimeout(Duration v) { headerTimeout = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder maxConnectionAge(Duration v) { maxConnectionAge = v; return this; }
        public Builder socketSendBuffer(int v) { socketSendBuffer = v; return this; }
        public Builder trustedIssuers(List<String> v) { trustedIssuers = v; return this; }
        public Builder http3(String v) { http3 = v; return this; }
        public Builder partitions(int v) { partitions = v; return this; }
        public Builder redisServers(List<String> v) { redisServers = v; return this; }

        public Config build() {
            return new Config(listen, publisherJwtKey, publisherJwtAlg, subscriberJwtKey, subscriberJwtAlg, anonymous,
                    heartbeat, historySize, historyMaxBytes, maxBodySize, subscriberBudget, retry, slowClientRetry,
                    slowClientGrace, transport, corsOrigins, workers, maxTopicsPerSubscription, maxTopicLength, maxSubscribers,
                    shutdownGrace, jwtClockSkew, io, conflate, throttle, slowClientPolicy,
                    historyMaxAge, natsCreds, natsStream, natsSubject,
                    maxDispatchQueue, redisStream, redisTimeout, fileFsync, allowNonAsciiIds, replayBatch, selectorCache, matchCache,
                    publisherTokenCache, subscriberTokenCache, tokenCacheTtl, positionEvent,
                    maxConnectionsPerIp, subscribeAllow, subscribeDeny, publishAllow, publishDeny,
                    trustedProxies, publishRatePerIp, publishRatePerToken,
                    tokenIssuer, tokenAudiences, publishOrigins, publisherJwksUrl, subscriberJwksUrl, jwksCacheTtl,
                    hubUrl, accessTokenCookie,
                    adminListen, metricsOnMain, logFormat, accessLog, diagnostics, maxRecording,
                    drainDelay, drainPeriod, subscriptions, subscriptionLease, subscriptionsMax,
                    tlsCert, tlsKey, tlsSelfSigned, http2MaxConcurrentStreams,
                    maxUrlLength, maxHeaderSize, maxTopicsPerUpdate, maxIdLength, maxTypeLength, headerTimeout,
                    idleTimeout, maxConnectionAge, socketSendBuffer, trustedIssuers, http3, partitions, redisServers);
        }
    }
}
