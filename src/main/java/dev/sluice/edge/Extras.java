package dev.sluice.edge;

import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the gateway serves beside the hub when the application asks for it (the market demo's
 * page, the dashboard): static files at fixed paths, and feeds, server-sent event streams that
 * send a freshly made document every interval. The edge serves them; what they hold is the
 * caller's. Paths of the hub, health, readiness and metrics cannot be taken.
 *
 * @param pages path → file (GET and HEAD)
 * @param feeds path → feed
 */
public record Extras(Map<String, Page> pages, Map<String, Feed> feeds) {

    /** Nothing beside the hub. */
    public static final Extras NONE = new Extras(Map.of(), Map.of());

    /** A static file: its media type and its bytes. */
    public record Page(String contentType, byte[] body) {}

    /**
     * An SSE stream that sends {@code data} (one line, e.g. JSON) at once and then every
     * {@code interval}. A reader that does not keep up misses samples (a sample is skipped while
     * its socket is not writable) rather than growing a queue. At most {@code maxStreams} streams
     * at a time; more get 503.
     */
    public record Feed(Duration interval, int maxStreams, Supplier<String> data) {
        public Feed {
            if (interval.toMillis() < 10) {
                throw new IllegalArgumentException("a feed interval must be at least 10ms");
            }
            if (maxStreams < 1) {
                throw new IllegalArgumentException("a feed must allow at least one stream");
            }
        }
    }

    public Extras {
        pages = Map.copyOf(pages);
        feeds = Map.copyOf(feeds);
        for (String path : pages.keySet()) {
            reserved(path);
        }
        for (String path : feeds.keySet()) {
            reserved(path);
        }
    }

    private static void reserved(String path) {
        if (!path.startsWith("/") || path.startsWith(RequestRouter.HUB_PATH) || path.equals("/healthz")
                || path.equals("/readyz") || path.equals("/metrics")) {
            throw new IllegalArgumentException("cannot serve an extra resource at " + path);
        }
    }

    boolean isEmpty() {
        return pages.isEmpty() && feeds.isEmpty();
    }
}
