package dev.sluice.interop;

/**
 * One independent SSE client, ready to open subscriptions against one gateway over one protocol.
 * Adapters translate what the client shows into a {@link ClientStream}; they never parse on the
 * client's behalf, except for the clients that have no SSE parser of their own (curl, the JDK
 * HttpClient), whose bytes are read by {@link WireReader}.
 */
interface InteropClient extends AutoCloseable {

    ClientStream open(Subscription sub) throws Exception;

    /** True when the client reconnects by itself, sending Last-Event-ID. */
    boolean reconnects();

    /** How many scenarios may run at once with this client (a browser's HTTP/1.1 connection limit). */
    default int parallelism() {
        return 64;
    }
}
