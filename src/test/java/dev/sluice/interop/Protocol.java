package dev.sluice.interop;

/** How a client reaches the gateway: one dimension of the compatibility table. */
enum Protocol {
    HTTP1("HTTP/1.1");

    /** As shown in the table. */
    final String label;

    Protocol(String label) {
        this.label = label;
    }
}
