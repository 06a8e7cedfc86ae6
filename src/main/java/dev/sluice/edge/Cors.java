package dev.sluice.edge;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Set;

/**
 * Cross-origin access for browsers whose page is served elsewhere than the hub. Off unless
 * origins are configured. An origin listed in {@code --cors-origins} is echoed with
 * {@code Access-Control-Allow-Credentials: true}, so its pages may use the cookie. {@code *} lets
 * every other origin read without credentials ({@code Access-Control-Allow-Origin: *}): echoing
 * any origin with credentials would let every site a subscriber visits read its private updates
 * with its cookie, which Mercure forbids. {@code Last-Event-ID} and {@code Authorization}
 * are allowed request headers so reconnects and polyfills are not refused by the preflight.
 */
final class Cors {
    static final String ALLOWED_HEADERS = "authorization, cache-control, last-event-id, content-type";

    private final boolean any;
    private final Set<String> origins;

    Cors(List<String> origins) {
        this.any = origins.contains("*");
        this.origins = Set.copyOf(origins);
    }

    /**
     * The {@code Access-Control-Allow-Origin} value for this request: the origin itself when it is
     * listed, {@code *} when only the wildcard allows it, or null when it is not allowed (or not
     * cross-origin).
     */
    String allowedOrigin(HttpHeaders requestHeaders) {
        String origin = requestHeaders.get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return null;
        }
        return origins.contains(origin) ? origin : any ? "*" : null;
    }

    /** Whether an allowed origin value may carry credentials: only a listed origin may. */
    static boolean withCredentials(String allowedOrigin) {
        return allowedOrigin != null && !allowedOrigin.equals("*");
    }

    void apply(HttpHeaders requestHeaders, HttpHeaders responseHeaders) {
        String origin = allowedOrigin(requestHeaders);
        if (origin != null) {
            responseHeaders.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            if (withCredentials(origin)) {
                responseHeaders.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            }
            responseHeaders.add(HttpHeaderNames.VARY, "Origin");
        }
    }
}
