package dev.sluice.edge;

/**
 * The {@code Alt-Svc} field value that tells clients of the TLS listener that HTTP/3 is served on
 * the UDP port of the same number (RFC 9114, 3.1.1; RFC 7838): set once both listeners are bound,
 * null while HTTP/3 is not served. Every response over TCP carries it, SSE heads included.
 */
final class AltSvc {

    /** How long a client may remember the advertisement: a day, as is common. */
    static final long MAX_AGE_SECONDS = 86_400;

    private volatile String value;

    /** The field value, or null when HTTP/3 is not served. */
    String value() {
        return value;
    }

    void advertise(int port) {
        value = "h3=\":" + port + "\"; ma=" + MAX_AGE_SECONDS;
    }
}
