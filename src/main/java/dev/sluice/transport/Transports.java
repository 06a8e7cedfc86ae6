package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;

/** Opens the transport named by {@code --transport}. */
public final class Transports {
    private Transports() {}

    public static Transport open(Config config) {
        String spec = config.transport().trim();
        boolean redis = spec.startsWith("redis://") || spec.startsWith("rediss://") || spec.startsWith("redis-sentinel://")
                || spec.startsWith("rediss-sentinel://");
        boolean nats = NatsTransport.accepts(spec);
        if (!redis && !nats && config.partitions() > 1) {
            throw new ConfigException("--partitions", "a partitioned log needs the redis or the nats transport"
                    + " (--transport redis://host:port or nats://host:port); the memory and file transports have one"
                    + " log only; got " + spec.replaceAll("//[^@/]*@", "//***@"));
        }
        if (!redis && !config.redisServers().isEmpty()) {
            throw new ConfigException("--redis-server", "applies to the redis transport only");
        }
        if (redis && config.partitions() > 1) {
            return new PartitionedRedisTransport(spec, config);
        }
        if (nats && config.partitions() > 1) {
            return PartitionedNatsTransport.open(config);
        }
        if (spec.equals("memory") || spec.equals("memory://")) {
            if (!config.historyMaxAge().isZero()) {
                org.slf4j.LoggerFactory.getLogger(Transports.class).warn("--history-max-age applies to the nats, redis"
                        + " and file transports; the memory transport keeps updates by count and bytes only");
            }
            return new MemoryTransport();
        }
        if (nats) {
            return NatsTransport.open(config);
        }
        if (redis) {
            return new RedisTransport(spec, config);
        }
        if (spec.startsWith("file:")) {
            return new FileTransport(spec, config);
        }
        throw new ConfigException("--transport", "unknown transport '" + spec.replaceAll("//[^@/]*@", "//***@")
                + "': use memory, nats://HOST:PORT, redis://host:port[/db] or file:///path/to/dir");
    }
}
