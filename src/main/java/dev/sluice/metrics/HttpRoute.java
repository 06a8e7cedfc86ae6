package dev.sluice.metrics;

import java.util.Locale;

/**
 * What a request was for, as the {@code route} label of {@code sluice_http_responses_total}: a
 * fixed set of names, never the raw path, so a client probing URLs cannot grow the label set.
 */
public enum HttpRoute {
    /** GET or QUERY on the hub URL (an SSE stream, or its refusal). */
    SUBSCRIBE,
    /** POST on the hub URL. */
    PUBLISH,
    /** OPTIONS on the hub URL, and other methods there (405). */
    PREFLIGHT,
    METRICS,
    HEALTHZ,
    READYZ,
    /** The admin listener's diagnostics (thread dump, flight recording). */
    DIAGNOSTICS,
    /** Anything else: unknown paths, and requests that could not be parsed. */
    OTHER;

    /** The label: lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
