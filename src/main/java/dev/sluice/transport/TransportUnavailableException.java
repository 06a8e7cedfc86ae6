package dev.sluice.transport;

/** The log cannot take or serve updates right now; publishers get a 503 with this message. */
public final class TransportUnavailableException extends RuntimeException {
    public TransportUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public TransportUnavailableException(String message) {
        super(message);
    }
}
