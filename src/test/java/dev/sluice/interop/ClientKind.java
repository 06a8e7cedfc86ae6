package dev.sluice.interop;

/**
 * The clients of the suite: one row of the table per client and protocol it speaks. Versions are
 * named where this repository pins them ({@code src/test/node/package-lock.json}, {@code pom.xml});
 * Chromium, the JDK and curl are whatever the machine has, so the table does not name a version.
 */
enum ClientKind {
    CHROMIUM("Chromium `EventSource`"),
    UNDICI("undici 7.30.2 `EventSource`"),
    EVENTSOURCE("npm `eventsource` 4.1.1"),
    PARSER("`eventsource-parser` 3.1.1 (lint)"),
    OKHTTP("okhttp-eventsource 4.3.0"),
    JDK("JDK `HttpClient`"),
    CURL("curl");

    /** As shown in the table. */
    final String label;

    ClientKind(String label) {
        this.label = label;
    }

    /** Why this client does not speak the protocol at all, or null when it does. */
    String cannotSpeak(Protocol p) {
        return switch (p) {
            case HTTP1, H2 -> null;
            case H2C -> switch (this) {
                case CHROMIUM -> "browsers speak HTTP/2 only over TLS";
                case JDK -> "the JDK `HttpClient` reaches cleartext HTTP/2 only through `Upgrade: h2c`";
                default -> null;
            };
            case H3 -> switch (this) {
                case CHROMIUM -> null;
                case UNDICI, EVENTSOURCE, PARSER -> "undici (and so Node's `fetch`) has no HTTP/3";
                case OKHTTP -> "OkHttp has no HTTP/3";
                case JDK -> "the JDK `HttpClient` of JDK 25, which the build uses, has no HTTP/3";
                case CURL -> "Debian 12's curl (7.88) is built without HTTP/3";
            };
            case H2C_UPGRADE -> switch (this) {
                case CHROMIUM -> "browsers speak HTTP/2 only over TLS";
                case UNDICI, EVENTSOURCE, PARSER -> "undici (and so Node's `fetch`) does not offer `Upgrade: h2c`; it speaks h2c by prior knowledge";
                case OKHTTP -> "OkHttp does not offer `Upgrade: h2c`; it speaks h2c by prior knowledge";
                default -> null;
            };
        };
    }

    /** Why this client cannot run the scenario over the protocol, or null when it can. */
    String cannot(Scenario s, Protocol p) {
        switch (s) {
            case TOKEN_HEADER -> {
                if (this == CHROMIUM) {
                    return "a browser's `EventSource` cannot set request headers";
                }
                if (this == UNDICI) {
                    return "undici's `EventSource` takes no request headers (only a dispatcher)";
                }
            }
            case TOKEN_COOKIE -> {
                if (this == UNDICI) {
                    return "undici's `EventSource` takes no request headers and Node has no cookie store";
                }
            }
            case FIFTEEN_STREAMS -> {
                if (this != CHROMIUM) {
                    return "checked with Chromium: browsers open at most 6 HTTP/1.1 connections per origin, which HTTP/2 lifts";
                }
                if (p == Protocol.HTTP1) {
                    return "over HTTP/1.1 a browser opens at most 6 connections per origin, so 15 streams cannot all be open";
                }
            }
            default -> { }
        }
        return null;
    }

    /** Starts the client for a gateway (a browser, a Node process, an HTTP client). */
    InteropClient start(Target target) throws Exception {
        return switch (this) {
            case CHROMIUM -> new ChromiumClient(target);
            case UNDICI, EVENTSOURCE, PARSER -> new NodeClient(this, target);
            case OKHTTP -> new OkHttpEventSourceClient(target);
            case JDK -> new JdkClient(target);
            case CURL -> new CurlClient(target);
        };
    }
}
