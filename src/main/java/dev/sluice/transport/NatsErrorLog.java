package dev.sluice.transport;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Where jnats reports errors; without it they go to java.util.logging on stderr. */
final class NatsErrorLog implements ErrorListener {
    private static final Logger log = LoggerFactory.getLogger(NatsTransport.class);

    private final BooleanSupplier closed;

    /** @param closed true once the transport is closed: connection errors are expected then */
    NatsErrorLog(BooleanSupplier closed) {
        this.closed = closed;
    }

    @Override
    public void errorOccurred(Connection conn, String error) {
        log.warn("NATS error: {}", error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        if (!closed.getAsBoolean()) {
            log.debug("NATS connection: {}", exp.toString());
        }
    }

    @Override
    public void heartbeatAlarm(Connection conn, JetStreamSubscription sub, long lastStreamSequence,
                               long lastConsumerSequence) {
        log.debug("NATS consumer heartbeat missed after entry {}; it will be re-created", lastStreamSequence);
    }
}
