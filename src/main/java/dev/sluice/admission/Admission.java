package dev.sluice.admission;

import dev.sluice.config.Cidr;
import dev.sluice.config.Config;
import dev.sluice.config.Rate;
import dev.sluice.metrics.GatewayMetrics;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Decides whether a request may reach the hub at all, from who sends it: open streams per client
 * address. The HTTP edge asks before it does any work for the request; the hub never sees a
 * refused request. Every refusal is counted in {@code sluice_admission_refused_total{reason}}.
 */
public final class Admission {

    /** {@code Retry-After} of a stream refused for a connection limit (per address or in all). */
    public static final long STREAM_RETRY_AFTER_SECONDS = 10;

    public static final String CONNECTIONS_PER_IP = "connections_per_ip";
    public static final String MAX_SUBSCRIBERS = "max_subscribers";
    public static final String SUBSCRIBE_ADDRESS = "subscribe_address";
    public static final String PUBLISH_ADDRESS = "publish_address";
    public static final String PUBLISH_RATE_IP = "publish_rate_ip";
    public static final String PUBLISH_RATE_TOKEN = "publish_rate_token";

    /** Most client addresses, and most tokens, with a rate bucket at once (memory stays bounded). */
    public static final long MAX_RATE_KEYS = 100_000;

    private final ConnectionLimiter perAddress;
    private final ClientAddress clients;
    private final Counter refusedPerAddress;
    private final Counter refusedMaxSubscribers;
    private final AddressRule subscribers;
    private final AddressRule publishers;
    private final Counter refusedSubscribeAddress;
    private final Counter refusedPublishAddress;
    private final RateLimiter<InetAddress> publishPerAddress;
    private final RateLimiter<TokenHash> publishPerToken;
    private final Counter refusedRateAddress;
    private final Counter refusedRateToken;

    public Admission(Config config, GatewayMetrics metrics) {
        this.perAddress = new ConnectionLimiter(config.maxConnectionsPerIp());
        this.clients = new ClientAddress(Cidr.parseAll(config.trustedProxies()));
        this.subscribers = AddressRule.of(config.subscribeAllow(), config.subscribeDeny());
        this.publishers = AddressRule.of(config.publishAllow(), config.publishDeny());
        this.refusedSubscribeAddress = metrics.admissionRefused(SUBSCRIBE_ADDRESS);
        this.refusedPublishAddress = metrics.admissionRefused(PUBLISH_ADDRESS);
        this.publishPerAddress = config.publishRatePerIp() == null ? null
                : new RateLimiter<>(Rate.parse(config.publishRatePerIp()), MAX_RATE_KEYS);
        this.publishPerToken = config.publishRatePerToken() == null ? null
                : new RateLimiter<>(Rate.parse(config.publishRatePerToken()), MAX_RATE_KEYS);
        this.refusedRateAddress = metrics.admissionRefused(PUBLISH_RATE_IP);
        this.refusedRateToken = metrics.admissionRefused(PUBLISH_RATE_TOKEN);
        this.refusedPerAddress = metrics.admissionRefused(CONNECTIONS_PER_IP);
        this.refusedMaxSubscribers = metrics.admissionRefused(MAX_SUBSCRIBERS);
    }

    /**
     * The address a request comes from: the peer of its connection, or, when that peer is one of
     * {@code --trusted-proxies}, the client its forwarding headers name (see {@link ClientAddress}).
     */
    public InetAddress client(Channel channel, HttpHeaders headers) {
        InetSocketAddress socketPeer = peer(channel);
        if (socketPeer == null) {
            throw new IllegalStateException("no socket address for " + channel);
        }
        InetAddress peer = socketPeer.getAddress();
        if (!clients.readsHeadersOf(peer)) {
            return ClientAddress.unmapped(peer); // not a trusted proxy: its headers are not read (nor copied)
        }
        return clients.resolve(peer, headers.getAll("Forwarded"),
                headers.getAll("X-Forwarded-For"));
    }

    /**
     * The socket peer of a connection, of the connection an HTTP/2 stream belongs to, or of the
     * QUIC connection an HTTP/3 stream belongs to (whose own address is a stream or connection id);
     * null for a channel with no socket.
     */
    public static InetSocketAddress peer(Channel channel) {
        for (Channel c = channel; c != null; c = c.parent()) {
            if (c.remoteAddress() instanceof InetSocketAddress a) {
                return a;
            }
            if (c instanceof io.netty.handler.codec.quic.QuicChannel quic
                    && quic.remoteSocketAddress() instanceof InetSocketAddress a) {
                return a;
            }
        }
        return null;
    }

    /**
     * Whether the client of {@code channel} may subscribe at all ({@code --subscribe-allow},
     * {@code --subscribe-deny}): null when it may, else a 403. Ask before any other work.
     */
    public Refusal subscribe(Channel channel, HttpHeaders headers) {
        return byAddress(channel, headers, subscribers, refusedSubscribeAddress, SUBSCRIBE_ADDRESS, "Subscribing",
                "--subscribe-allow, --subscribe-deny");
    }

    /** As {@link #subscribe}, for publishing ({@code --publish-allow}, {@code --publish-deny}). */
    public Refusal publish(Channel channel, HttpHeaders headers) {
        return byAddress(channel, headers, publishers, refusedPublishAddress, PUBLISH_ADDRESS, "Publishing",
                "--publish-allow, --publish-deny");
    }

    private Refusal byAddress(Channel channel, HttpHeaders headers, AddressRule rule, Counter refused, String reason,
                              String what, String options) {
        InetAddress client = client(channel, headers);
        if (rule.permits(client)) {
            return null;
        }
        refused.increment();
        return new Refusal(403, reason, what + " is not allowed from " + client.getHostAddress() + " (" + options + ").", 0);
    }

    /**
     * Takes one publish from the client's bucket ({@code --publish-rate-per-ip}) and from its
     * token's ({@code --publish-rate-per-token}): null when it may go on, else a 429 with the
     * seconds until it may. The token is the one the request presents (verified later); only a
     * hash of it is kept.
     *
     * @param queryAuthorization the decoded {@code authorization} query parameter, or null
     */
    public Refusal publishRate(Channel channel, HttpHeaders headers, String queryAuthorization) {
        if (publishPerAddress != null) {
            InetAddress client = client(channel, headers);
            long wait = publishPerAddress.tryTake(client);
            if (wait > 0) {
                refusedRateAddress.increment();
                return new Refusal(429, PUBLISH_RATE_IP, "Too many publishes from " + client.getHostAddress()
                        + ": at most " + publishPerAddress.rate() + " per client address (--publish-rate-per-ip);"
                        + " retry in " + wait + "s.", wait);
            }
        }
        if (publishPerToken != null) {
            TokenHash token = TokenHash.of(headers, queryAuthorization);
            if (token != null) {
                long wait = publishPerToken.tryTake(token);
                if (wait > 0) {
                    refusedRateToken.increment();
                    return new Refusal(429, PUBLISH_RATE_TOKEN, "Too many publishes with this token: at most "
                            + publishPerToken.rate() + " (--publish-rate-per-token); retry in " + wait + "s.", wait);
                }
            }
        }
        return null;
    }

    /**
     * Called when the hub is full ({@code --max-subscribers}): counts the refusal and says what to
     * answer (503, retry later).
     */
    public Refusal hubFull(int maxSubscribers) {
        refusedMaxSubscribers.increment();
        return new Refusal(503, MAX_SUBSCRIBERS, "This hub is at its subscriber limit (" + maxSubscribers
                + ", --max-subscribers); try another node or later.", STREAM_RETRY_AFTER_SECONDS);
    }

    /**
     * Takes a stream slot for the client of {@code channel} until the channel closes; a refusal
     * (429) when that client holds {@code --max-connections-per-ip} streams already. Call once
     * per stream, just before it starts.
     */
    public Refusal openStream(Channel channel, HttpHeaders headers) {
        if (!perAddress.enabled()) {
            return null;
        }
        InetAddress client = client(channel, headers);
        if (!perAddress.tryAcquire(client)) {
            refusedPerAddress.increment();
            return new Refusal(429, CONNECTIONS_PER_IP, "Too many open streams from " + client.getHostAddress()
                    + ": at most " + perAddress.limit() + " per client address (--max-connections-per-ip);"
                    + " close one or try again later.", STREAM_RETRY_AFTER_SECONDS);
        }
        channel.closeFuture().addListener(f -> perAddress.release(client));
        return null;
    }

    /** Streams the client address holds now (0 when connections are not counted). */
    public int openStreams(InetAddress client) {
        return perAddress.openFrom(client);
    }
}
