package dev.sluice;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.JwtKey;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.auth.TokenVerifier;
import dev.sluice.auth.TrustedIssuers;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.edge.HttpServer;
import dev.sluice.edge.ServerTls;
import dev.sluice.hub.Hub;
import dev.sluice.hub.HubSettings;
import dev.sluice.metrics.GatewayMetrics;
import dev.sluice.ops.AdminServer;
import dev.sluice.ops.Diagnostics;
import dev.sluice.subscriptions.SubscriptionRegistry;
import dev.sluice.topic.SelectorCache;
import dev.sluice.transport.Transport;
import dev.sluice.transport.Transports;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: transport, hub, HTTP edge and metrics, started in that order and stopped
 * in reverse. Tests and the {@code serve} command both start it through {@link #start}.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final Config config;
    private final HttpServer server;
    private final Hub hub;
    private final Transport transport;
    private final GatewayMetrics metrics;
    private final InetSocketAddress address;
    private final String generatedPublisherToken;
    private final String generatedSecret;
    private final Keys keys;
    private final AdminServer admin;
    private final InetSocketAddress adminAddress;
    private final Diagnostics diagnostics;
    private final ServerTls tls;
    private volatile boolean closed;
    /** Active subscriptions (--subscriptions), or null. */
    private final SubscriptionRegistry subscriptions;

    private Gateway(Config config, HttpServer server, Hub hub, Transport transport, GatewayMetrics metrics,
                    InetSocketAddress address, Keys keys, AdminServer admin, InetSocketAddress adminAddress,
                    Diagnostics diagnostics, SubscriptionRegistry subscriptions, ServerTls tls) {
        this.tls = tls;
        this.admin = admin;
        this.adminAddress = adminAddress;
        this.diagnostics = diagnostics;
        this.subscriptions = subscriptions;
        String generatedSecret = keys.generatedSecret();
        String generatedPublisherToken = keys.generatedToken();
        this.keys = keys;
        this.config = config;
        this.server = server;
        this.hub = hub;
        this.transport = transport;
        this.metrics = metrics;
        this.address = address;
        this.generatedSecret = generatedSecret;
        this.generatedPublisherToken = generatedPublisherToken;
    }

    /**
     * Starts a gateway. When no publisher key is configured, a random HS256 secret is generated
     * for this run and a publisher token for every topic is made with it
     * ({@link #generatedPublisherToken()}).
     *
     * @throws ConfigException when a key or the transport is invalid, naming the option
     */
    public static Gateway start(Config config) throws Exception {
        return start(config, metrics -> dev.sluice.edge.Extras.NONE);
    }

    /**
     * Starts a gateway that also serves {@code extras} (pages and feeds beside the hub, such as the
     * market demo and the dashboard), made once the gateway's metrics exist.
     */
    public static Gateway start(Config config, java.util.function.Function<GatewayMetrics, dev.sluice.edge.Extras> extras)
            throws Exception {
        applyNettyDefaults();
        Keys keys = keys(config);
        ServerTls tls = ServerTls.open(config);
        HttpServer.IoKind.Choice io = HttpServer.IoKind.choose(config.io());
        Transport transport = Transports.open(config);
        HttpServer server = HttpServer.open(io, config.workers());
        log.info("I/O kind {}: {}", server.io().option(), server.ioReason());
        Hub hub = null;
        AdminServer admin = null;
        Diagnostics diagnostics = null;
        SubscriptionRegistry subscriptions = null;
        try {
            hub = new Hub(hubSettings(config), server.workers(),
                    new SelectorCache(config.selectorCache(), config.matchCache(), config.hubUrlOrDefault()), PooledByteBufAllocator.DEFAULT);
            if (config.subscriptions()) {
                subscriptions = new SubscriptionRegistry(transport::publish, dev.sluice.edge.Ids::newId,
                        config.subscriptionLease(), config.subscriptionsMax());
                SubscriptionRegistry registry = subscriptions;
                Hub h = hub;
                // The registry reads each entry before the hub does: see SubscriptionsEndpoint.
                transport.start(u -> {
                    registry.observe(u);
                    h.accept(u);
                });
                if (h.partitions() != null) {
                    // The registry keeps the subscriptions of the whole cluster, whose updates are
                    // spread over every partition: this node reads them all, for as long as it runs.
                    transport.follow(h.partitions().all(), null);
                }
            } else {
                transport.start(hub::accept);
            }
            GatewayMetrics metrics = new GatewayMetrics(hub, transport);
            metrics.subscriberLimit(config.maxSubscribers());
            if (subscriptions != null) {
                metrics.bindSubscriptions(subscriptions::tracked, subscriptions::untracked, subscriptions::expired);
            }
            InetSocketAddress bound = server.bind(config, hub, transport, metrics, keys.publishers(), keys.subscribers(),
                    keys.issuers(),
                    subscriptions, tls, extras.apply(metrics));
            InetSocketAddress adminBound = null;
            if (config.adminListen() != null) {
                diagnostics = config.diagnostics() ? new Diagnostics(config.maxRecording()) : null;
                Hub h = hub;
                // Ready as the main port says: not while draining, not while the transport is down.
                admin = new AdminServer(metrics, () -> !h.draining() && transport.isReady(), transport::describe,
                        diagnostics);
                try {
                    adminBound = admin.bind(config.adminListen());
                } catch (Exception e) {
                    if (e instanceof java.net.BindException || e instanceof java.net.SocketException) {
                        throw new java.net.BindException(ADMIN_BIND_FAILURE + config.adminListen() + ": " + e.getMessage());
                    }
                    throw e;
                }
            }
            log.info("listening on {} (I/O kind {}, {} workers, transport {}; {}){}", bound,
                    server.io().option(), config.workers(),
                    transport.describe(), tls == null ? "plain HTTP/1.1 and h2c"
                            : tls.describe() + "; " + (server.http3Address() != null
                                    ? "HTTP/3 on UDP port " + server.http3Address().getPort()
                                    : "HTTP/3 not served: " + server.http3Missing()),
                    adminBound == null ? "" : "; admin listener on " + adminBound
                            + " (" + admin.describe() + ")");
            return new Gateway(config, server, hub, transport, metrics, bound, keys, admin, adminBound, diagnostics,
                    subscriptions, tls);
        } catch (Exception | Error e) {
            if (tls != null) {
                tls.close();
            }
            if (admin != null) {
                admin.close();
            }
            if (diagnostics != null) {
                diagnostics.close();
            }
            if (subscriptions != null) {
                subscriptions.close();
            }
            keys.close();
            transport.close();
            server.close();
            if (hub != null) {
                hub.close();
            }
            throw e;
        }
    }

    /**
     * Netty settings for a gateway in production, applied only where the process set nothing
     * ({@code -D} wins). {@link #start} applies them, so an application that embeds the gateway
     * behaves as {@code sluice serve} does; they take effect if no Netty class has read them yet,
     * so start the gateway before using Netty elsewhere, or pass them with {@code -D}. With them
     * the fan-out path allocates nothing per delivery (DispatchAllocationTest): the recyclers'
     * pools grow in chunks of 1024 instead of 32 (each new chunk is an allocation while a pool
     * swings between empty and full), and the leak detector does not wrap and trace sampled
     * buffers. Turn it on to debug a leak: {@code -Dio.netty.leakDetection.level=paranoid}
     * ({@code SLUICE_JAVA_OPTS} for the launcher).
     */
    public static void applyNettyDefaults() {
        setIfAbsent("io.netty.recycler.chunkSize", "1024");
        setIfAbsent("io.netty.leakDetection.level", "disabled");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static JwtAlgorithm algorithm(String option, String name) {
        try {
            return JwtAlgorithm.parse(name);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(option, e.getMessage());
        }
    }

    /** The token verifiers, and the secret and token made for this run when no key was given. */
    private record Keys(TokenVerifier publishers, TokenVerifier subscribers, TrustedIssuers issuers,
                        String generatedSecret, String generatedToken) {
        /** Stops the background refresh of key sets fetched from a URL; nothing for configured keys. */
        void close() {
            publishers.close();
            subscribers.close();
            issuers.close();
        }
    }

    private static Keys keys(Config config) {
        String generatedSecret = null;
        String generatedToken = null;
        String pubKey = config.publisherJwtKey();
        String pubAlg = config.publisherJwtAlg();
        JwtAlgorithm publisherAlgorithm = algorithm("--publisher-jwt-alg", pubAlg);
        if (pubKey == null && config.publisherJwksUrl() == null) {
            // A random secret can only stand in for an HMAC key; an RS/ES algorithm without its
            // public key is a mistake to report, not a setting to drop.
            if (!publisherAlgorithm.isHmac()) {
                throw new ConfigException("--publisher-jwt-alg", publisherAlgorithm + " needs --publisher-jwt-key (a PEM"
                        + " public key or the path of a PEM file); without a key a random HMAC secret is made for this run");
            }
            generatedSecret = TokenIssuer.randomSecret();
            pubKey = generatedSecret;
            generatedToken = TokenIssuer.hmac(publisherAlgorithm, generatedSecret.getBytes(StandardCharsets.UTF_8),
                    List.of("*"), List.of("*"), null, Clock.systemUTC(), config.tokenIssuer(), config.tokenAudiences());
        }
        if (config.subscriberJwtKey() == null
                && algorithm("--subscriber-jwt-alg", config.subscriberJwtAlg()) != JwtAlgorithm.HS256) {
            throw new ConfigException("--subscriber-jwt-alg", "is used only with --subscriber-jwt-key; without one,"
                    + " subscribers are verified with the publisher key and algorithm");
        }
        TokenVerifier publishers = config.publisherJwksUrl() != null
                ? jwksVerifier("publisher", "--publisher-jwks-url", config.publisherJwksUrl(), config)
                : verifier("publisher", "--publisher-jwt", pubKey, pubAlg, config);
        TokenVerifier subscribers;
        if (config.subscriberJwksUrl() != null) {
            subscribers = jwksVerifier("subscriber", "--subscriber-jwks-url", config.subscriberJwksUrl(), config);
        } else if (config.subscriberJwtKey() == null && config.publisherJwksUrl() != null) {
            subscribers = jwksVerifier("subscriber", "--publisher-jwks-url", config.publisherJwksUrl(), config);
        } else {
            String subKey = config.subscriberJwtKey() != null ? config.subscriberJwtKey() : pubKey;
            String subAlg = config.subscriberJwtKey() != null ? config.subscriberJwtAlg() : pubAlg;
            subscribers = verifier("subscriber", "--subscriber-jwt", subKey, subAlg, config);
        }
        TrustedIssuers issuers;
        try {
            issuers = trustedIssuers(config);
        } catch (RuntimeException e) {
            publishers.close();
            subscribers.close();
            throw e;
        }
        return new Keys(publishers, subscribers, issuers, generatedSecret, generatedToken);
    }

    /**
     * The issuers of Mercure 1.0 access tokens, each bound to its keys: {@code --trusted-issuer}
     * ones with keys of their own, and the {@code --token-issuer} with the publisher and subscriber
     * keys. Says once at start-up when there is none, since every access token is then refused.
     */
    private static TrustedIssuers trustedIssuers(Config config) {
        Map<String, TokenVerifier> byIssuer = new LinkedHashMap<>();
        try {
            config.trustedIssuerKeys().forEach((issuer, key) -> byIssuer.put(issuer, issuerVerifier(issuer, key, config)));
        } catch (RuntimeException e) {
            byIssuer.values().forEach(TokenVerifier::close);
            throw e;
        }
        TrustedIssuers issuers = new TrustedIssuers(byIssuer, config.tokenIssuer());
        if (issuers.none()) {
            log.info("Mercure 1.0 access tokens (typ at+jwt) need a trusted issuer: none is configured, so they are"
                    + " refused; set --trusted-issuer ISSUER=KEY, or --token-issuer ISSUER to verify them with the"
                    + " publisher and subscriber keys (Mercure 0.x tokens are not affected)");
        }
        return issuers;
    }

    /** A {@code --trusted-issuer} key: a JWKS URL, else {@code [ALG:]KEY} as {@code --publisher-jwt-key}. */
    private static TokenVerifier issuerVerifier(String issuer, String key, Config config) {
        String role = "'" + issuer + "' issuer";
        if (key.matches("(?i)https?://\\S+")) {
            return jwksVerifier(role, "--trusted-issuer", key, config, issuer);
        }
        JwtAlgorithm algorithm = JwtAlgorithm.HS256;
        int colon = key.indexOf(':');
        if (colon > 0) {
            try {
                algorithm = JwtAlgorithm.parse(key.substring(0, colon));
                key = key.substring(colon + 1);
            } catch (IllegalArgumentException notAnAlgorithm) {
                // A secret or a path that happens to contain ':', with the default algorithm.
            }
        }
        try {
            return new TokenVerifier(role, JwtKey.parse(algorithm, key), config.jwtClockSkew(), Clock.systemUTC(),
                    issuer, config.tokenAudiences());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--trusted-issuer", "issuer '" + issuer + "': " + e.getMessage());
        }
    }

    /** The hub's part of the configuration. */
    static HubSettings hubSettings(Config config) {
        return HubSettings.builder()
                .historySize(config.historySize())
                .historyMaxBytes(config.historyMaxBytes())
                .subscriberBudget(config.subscriberBudget())
                .heartbeat(config.heartbeat())
                .retryMillis(config.retry().toMillis())
                .reconnectRetryMillis(config.slowClientRetry().toMillis())
                .closeGrace(config.slowClientGrace())
                .replayBatch(config.replayBatch())
                .conflate(config.conflate())
                .conflateAll(config.slowClientPolicy().equals("conflate"))
                .throttle(config.throttle())
                .maxQueuedPerLoop(config.maxDispatchQueue())
                .positionEvent(config.positionEvent())
                .maxConnectionAge(config.maxConnectionAge())
                .partitions(config.partitions())
                .build();
    }

    /**
     * Keys from a JSON Web Key Set URL: cached for --jwks-cache-ttl and refreshed in the background
     * before it ends, fetched again (at most once per rate-limit interval) when a token names an
     * unknown kid, and kept for up to ten cache lifetimes while the URL cannot be reached.
     */
    private static TokenVerifier jwksVerifier(String role, String option, String url, Config config) {
        return jwksVerifier(role, option, url, config, config.tokenIssuer());
    }

    private static TokenVerifier jwksVerifier(String role, String option, String url, Config config, String issuer) {
        URL location;
        try {
            location = URI.create(url).toURL();
        } catch (IllegalArgumentException | MalformedURLException e) {
            throw new ConfigException(option, "'" + url + "' is not a URL: " + e.getMessage());
        }
        long ttl = config.jwksCacheTtl().toMillis();
        JWKSource<SecurityContext> source =
                JWKSourceBuilder.<SecurityContext>create(location,
                                new DefaultResourceRetriever(JWKS_TIMEOUT_MILLIS, JWKS_TIMEOUT_MILLIS,
                                        JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT))
                        .retrying(true)
                        .cache(ttl, Math.min(ttl / 4, JWKSourceBuilder.DEFAULT_CACHE_REFRESH_TIMEOUT))
                        .refreshAheadCache(Math.min(ttl / 4, JWKSourceBuilder.DEFAULT_REFRESH_AHEAD_TIME),
                                null, Executors.newSingleThreadExecutor(Gateway::jwksThread), true,
                                Executors.newSingleThreadScheduledExecutor(Gateway::jwksThread), true)
                        .rateLimited(Math.min(ttl / 2, JWKSourceBuilder.DEFAULT_RATE_LIMIT_MIN_INTERVAL))
                        .outageTolerant(ttl * 10)
                        .build();
        return TokenVerifier.jwks(role, source, config.jwtClockSkew(), Clock.systemUTC(), issuer,
                config.tokenAudiences());
    }

    /** How a failure to bind the admin listener's address starts its message (the serve command looks for it). */
    public static final String ADMIN_BIND_FAILURE = "--admin-listen ";

    /**
     * Connect and read timeout of a key set fetch. Fetches never run on an event loop (see
     * {@code TokenVerifier#blockingExecutor}), but a request waits for its token's check meanwhile.
     */
    private static final int JWKS_TIMEOUT_MILLIS = 2_000;

    private static Thread jwksThread(Runnable task) {
        Thread thread = new Thread(task, "sluice-jwks-refresh");
        thread.setDaemon(true);
        return thread;
    }

    private static TokenVerifier verifier(String role, String option, String key, String alg, Config config) {
        JwtAlgorithm algorithm = algorithm(option + "-alg", alg);
        try {
            return new TokenVerifier(role, JwtKey.parse(algorithm, key), config.jwtClockSkew(), Clock.systemUTC(),
                    config.tokenIssuer(), config.tokenAudiences());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(option + "-key", e.getMessage());
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    public int port() {
        return address.getPort();
    }

    /** Where the admin listener listens (--admin-listen), or null when there is none. */
    public InetSocketAddress adminAddress() {
        return adminAddress;
    }

    /** What the admin listener serves, or null when there is none. */
    public String adminRoutes() {
        return admin == null ? null : admin.describe();
    }

    public Hub hub() {
        return hub;
    }

    public Config config() {
        return config;
    }

    /** The I/O event loops; each owns its subscribers and their dispatch. */
    public io.netty.channel.EventLoopGroup eventLoops() {
        return server.workers();
    }

    public HttpServer.IoKind io() {
        return server.io();
    }

    /** Why the gateway runs on its I/O kind: the option, or what {@code --io auto} found. */
    public String ioReason() {
        return server.ioReason();
    }

    /** The TLS of the HTTP port (its current certificate, engine, reload), or null for plain HTTP. */
    public ServerTls tls() {
        return tls;
    }

    /** The UDP address HTTP/3 (QUIC) is served on, or null when it is not. */
    public InetSocketAddress http3Address() {
        return server.http3Address();
    }

    /** One line for the start-up message: where HTTP/3 is served, or why it is not. */
    public String describeHttp3() {
        InetSocketAddress h3 = server.http3Address();
        return h3 != null ? "HTTP/3 (QUIC, ALPN h3) on UDP port " + h3.getPort() + ", advertised with Alt-Svc"
                : "HTTP/3 not served: " + server.http3Missing();
    }

    /** The publisher token made at start when no key was configured, else null. */
    public String generatedPublisherToken() {
        return generatedPublisherToken;
    }

    /** The HS256 secret made at start when no key was configured, else null. */
    public String generatedSecret() {
        return generatedSecret;
    }

    /**
     * Drains before a stop (SIGTERM): {@code /readyz} answers 503 at once; new connections are
     * still accepted for {@code --drain-delay}, so load balancers notice; then the listener closes
     * and the open streams are ended in waves over {@code --drain-period} (each with a jittered
     * {@code retry:} and its resume position), so clients reconnect to the other nodes spread out.
     * Returns when the last stream is gone or the period is over; {@link #close} then stops the
     * rest (ending any stream still open).
     */
    public void drain() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        hub.markDraining();
        long started = System.nanoTime();
        log.info("draining: not ready from now on; accepting connections for {} ms more, then ending {} streams"
                + " over {} ms", config.drainDelay().toMillis(), hub.subscribers(), config.drainPeriod().toMillis());
        sleep(config.drainDelay().toNanos());
        server.stopAccepting();
        int waves = hub.drainStreams(config.drainPeriod());
        long end = System.nanoTime() + config.drainPeriod().toNanos();
        while (hub.subscribers() > 0 && System.nanoTime() < end) {
            sleep(TimeUnit.MILLISECONDS.toNanos(10));
        }
        log.info("drained in {} ms ({} waves); {} streams left", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                waves, hub.subscribers());
    }

    private static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops cleanly: no new connections, every stream ended with its last chunk (clients
     * reconnect elsewhere or later with their Last-Event-ID), then the transport and event loops.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stopAccepting();
        hub.forEachSubscriber(hub::end);
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (hub.subscribers() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (subscriptions != null) {
            subscriptions.close();
        }
        transport.close();
        server.close();
        if (admin != null) {
            admin.close();
        }
        if (diagnostics != null) {
            diagnostics.close();
        }
        hub.close();
        metrics.close();
        keys.close();
        if (tls != null) {
            tls.close();
        }
        log.info("stopped");
    }
}
