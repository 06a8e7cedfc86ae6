package dev.sluice.interop;

/** How a client reaches the gateway: one dimension of the compatibility table. */
enum Protocol {
    HTTP1("HTTP/1.1", "HTTP/1.1");

    /** As shown in the table. */
    final String label;
    /** The HTTP version a client must be seen to speak: "HTTP/1.1" or "HTTP/2". */
    final String version;

    Protocol(String label, String version) {
        this.label = label;
        this.version = version;
    }
}
