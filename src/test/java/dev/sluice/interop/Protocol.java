package dev.sluice.interop;

/** How a client reaches the gateway: one dimension of the compatibility table. */
enum Protocol {
    HTTP1("HTTP/1.1", "HTTP/1.1", false),
    H2("h2 (TLS)", "HTTP/2", true),
    H2C("h2c (prior knowledge)", "HTTP/2", false),
    H2C_UPGRADE("h2c (`Upgrade`)", "HTTP/2", false),
    H3("h3 (QUIC)", "HTTP/3", true);

    /** As shown in the table. */
    final String label;
    /** The HTTP version a client must be seen to speak: "HTTP/1.1", "HTTP/2" or "HTTP/3". */
    final String version;
    /** Over TLS (with ALPN), else cleartext. */
    final boolean tls;

    Protocol(String label, String version, boolean tls) {
        this.label = label;
        this.version = version;
        this.tls = tls;
    }
}
