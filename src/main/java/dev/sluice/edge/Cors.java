package dev.sluice.edge;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Set;

/**
 * Cross-origin access for browsers whose page is served elsewhere than the hub. Off unless
 * origins are configured. Credentials are allowed (the {@code mercureAuthorization} cookie), so
 * the allowed origin is echoed, never {@code *}. {@code Last-Event-ID} and {@code Authorization}
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

    /** The origin to echo for this request, or null when it is not allowed (or not cross-origin). */
    String allowedOrigin(HttpHeaders requestHeaders) {
        String origin = requestHeaders.get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return null;
        }
        return any || origins.contains(origin) ? origin : null;
    }

    void apply(HttpHeaders requestHeaders, HttpHeaders responseHeaders) {
        String origin = allowedOrigin(requestHeaders);
        if (origin != null) {
            responseHeaders.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            responseHeaders.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            responseHeaders.add(HttpHeaderNames.VARY, "Origin");
        }
    }
}
