package dev.sluice.transport;

import dev.sluice.config.ConfigException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The Redis server of a {@code --transport redis://...} URL, and the client that connects to it:
 * reconnecting with a short capped backoff, and refusing commands at once while disconnected
 * (a buffered XADD answered 503 could otherwise be stored later, behind the publisher's back).
 */
final class RedisConnector {
    static {
        // The Redis client runs on native epoll where it can; without this it also finds io_uring,
        // prefers epoll anyway and says so in a WARN for every client it makes (one per server or
        // partition node). An operator's own setting of the property is left alone.
        if (System.getProperty("io.lettuce.core.iouring") == null) {
            System.setProperty("io.lettuce.core.iouring", "false");
        }
    }

    /** Keys are text; values are bytes, as an entry holds an {@link UpdateCodec} record. */
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    final RedisURI uri;
    /** The server (or Sentinel master) as logs and messages name it, without credentials. */
    final String where;
    private final ClientResources resources;
    /** False for a connector that shares another's threads (which that one shuts down). */
    private final boolean ownsResources;
    private final RedisClient client;
    private boolean shutDown;

    /**
     * Why a command to this server failed, as a publish's 503 says it: refused (an error reply),
     * no answer within {@code timeout} ({@code --redis-timeout}), or unreachable.
     */
    TransportUnavailableException unavailable(Throwable failure, Duration timeout) {
        Throwable cause = Causes.unwrap(failure);
        if (cause instanceof io.lettuce.core.RedisCommandExecutionException) {
            return new TransportUnavailableException("Redis at " + where + " refused it: " + cause.getMessage(), cause);
        }
        if (cause instanceof io.lettuce.core.RedisCommandTimeoutException) {
            return new TransportUnavailableException("Redis at " + where + " is unreachable: no answer within "
                    + timeout.toMillis() + " ms (--redis-timeout)", cause);
        }
        return new TransportUnavailableException("Redis at " + where + " is unreachable: " + Causes.rootMessage(cause), cause);
    }

    RedisConnector(String spec, Duration connectTimeout) {
        try {
            uri = RedisURI.create(spec);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--transport", "'" + spec.replaceAll("//[^@/]*@", "//***@") + "' is not a Redis URL: "
                    + e.getMessage() + " (use redis://[user:password@]host:port[/db], rediss://... or"
                    + " redis-sentinel://host:port[,host:port]/db?sentinelMasterId=NAME)");
        }
        where = uri.getSentinelMasterId() != null && !uri.getSentinels().isEmpty()
                ? "master '" + uri.getSentinelMasterId() + "' via sentinels " + uri.getSentinels().stream()
                        .map(s -> s.getHost() + ":" + s.getPort()).collect(Collectors.joining(","))
                : uri.getHost() + ":" + uri.getPort();
        resources = newResources();
        ownsResources = true;
        client = RedisClient.create(resources);
        configure(connectTimeout);
    }

    /**
     * Another server reached with the same credentials, TLS and settings as {@code like} (a node of
     * a Redis Cluster found through it), sharing its client's threads.
     */
    RedisConnector(RedisConnector like, String host, int port, Duration connectTimeout) {
        uri = RedisURI.builder(like.uri).withHost(host).withPort(port).build();
        where = host + ":" + port;
        resources = like.resources;
        ownsResources = false;
        client = RedisClient.create(resources);
        configure(connectTimeout);
    }

    private static ClientResources newResources() {
        return ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
    }

    private void configure(Duration connectTimeout) {
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled())
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true).build())
                .build());
    }

    /**
     * A new connection whose commands time out after {@code timeout}.
     *
     * @throws TransportUnavailableException naming the server and why (refused, unreachable)
     */
    StatefulRedisConnection<String, byte[]> connect(Duration timeout) {
        try {
            StatefulRedisConnection<String, byte[]> c = client.connect(CODEC, uri);
            c.setTimeout(timeout);
            return c;
        } catch (RuntimeException e) {
            RedisCommandExecutionException refusal = Causes.find(e, RedisCommandExecutionException.class);
            if (refusal != null) { // e.g. WRONGPASS, NOAUTH
                throw new TransportUnavailableException("Redis at " + where + " refused the connection: "
                        + refusal.getMessage(), e);
            }
            throw new TransportUnavailableException("Redis at " + where + " is unreachable: " + Causes.rootMessage(e), e);
        }
    }

    /** Stops the client and its threads; the connections should be closed first. Once only. */
    synchronized void shutdown() {
        if (!shutDown) {
            shutDown = true;
            client.shutdown(0, 2, TimeUnit.SECONDS);
            if (ownsResources) {
                resources.shutdown(0, 2, TimeUnit.SECONDS);
            }
        }
    }
}
