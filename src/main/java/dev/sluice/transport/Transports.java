package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;

/** Opens the transport named by {@code --transport}. */
public final class Transports {
    private Transports() {}

    public static Transport open(Config config) {
        String spec = config.transport().trim();
        if (spec.equals("memory") || spec.equals("memory://")) {
            return new MemoryTransport();
        }
        if (NatsTransport.accepts(spec)) {
            return NatsTransport.open(config);
        }
        throw new ConfigException("--transport", "unknown transport '" + spec + "': use memory or nats://HOST:PORT");
    }
}
