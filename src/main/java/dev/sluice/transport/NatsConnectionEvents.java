package dev.sluice.transport;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * What both NATS transports do with the connection's events: one WARN and one count per loss
 * (jnats may report a loss more than once while it retries), one INFO when it is back, naming the
 * server without credentials, and then the transport's own check of its streams.
 */
final class NatsConnectionEvents {
    private final Logger log;
    private final NatsUrl url;
    private final Runnable onReconnected;
    /** Times the connection was lost (the {@code sluice_transport_disconnects} metric). */
    final AtomicLong disconnects = new AtomicLong();
    private volatile boolean disconnected;

    /** {@code log}: the transport's logger, so the lines keep its name. */
    NatsConnectionEvents(Logger log, NatsUrl url, Runnable onReconnected) {
        this.log = log;
        this.url = url;
        this.onReconnected = onReconnected;
    }

    void on(Connection c, ConnectionListener.Events event) {
        switch (event) {
            case DISCONNECTED -> {
                if (!disconnected) {
                    disconnected = true;
                    disconnects.incrementAndGet();
                    log.warn("lost the connection to NATS at {}; reconnecting", url.display());
                }
            }
            case RECONNECTED -> {
                disconnected = false;
                log.info("reconnected to NATS at {}", c.getConnectedUrl() == null ? url.display()
                        : c.getConnectedUrl().replaceAll("//[^@/]*@", "//"));
                onReconnected.run();
            }
            default -> { }
        }
    }
}
