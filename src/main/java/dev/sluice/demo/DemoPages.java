package dev.sluice.demo;

import dev.sluice.edge.Extras;
import dev.sluice.metrics.GatewayMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The pages the gateway serves for the demo and the dashboard, read from the jar once at start:
 * the market board at {@code /} (with {@code --demo}), the dashboard at {@code /dashboard} and
 * its feed of metrics at {@code /dashboard/metrics} (with {@code --dashboard}), and their scripts
 * and style under {@code /demo/}. Plain HTML, CSS and JavaScript with canvas drawing: nothing is
 * fetched from elsewhere, so they work offline.
 */
public final class DemoPages {

    /** Where the dashboard's metrics stream is served. */
    public static final String METRICS_FEED = "/dashboard/metrics";

    private DemoPages() {}

    /**
     * @param demo            serve the market board at {@code /}
     * @param dashboard       serve the dashboard and its feed
     * @param metrics         the gateway's meters (for the dashboard)
     * @param interval        how often the dashboard gets a sample
     * @param maxDashboards   most dashboard streams at a time
     */
    public static Extras extras(boolean demo, boolean dashboard, GatewayMetrics metrics, Duration interval,
                                int maxDashboards) {
        Map<String, Extras.Page> pages = new HashMap<>();
        Map<String, Extras.Feed> feeds = new HashMap<>();
        if (demo || dashboard) {
            pages.put("/demo/style.css", page("style.css", "text/css; charset=utf-8"));
            pages.put("/demo/chart.js", page("chart.js", "text/javascript; charset=utf-8"));
        }
        if (demo) {
            pages.put("/", page("index.html", "text/html; charset=utf-8"));
            pages.put("/demo/board.js", page("board.js", "text/javascript; charset=utf-8"));
        }
        if (dashboard) {
            pages.put("/dashboard", page("dashboard.html", "text/html; charset=utf-8"));
            pages.put("/demo/dashboard.js", page("dashboard.js", "text/javascript; charset=utf-8"));
            feeds.put(METRICS_FEED, new Extras.Feed(interval, maxDashboards, new DashboardFeed(metrics)));
        }
        return new Extras(pages, feeds);
    }

    private static Extras.Page page(String name, String type) {
        try (InputStream in = DemoPages.class.getResourceAsStream("web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks dev/sluice/demo/web/" + name);
            }
            return new Extras.Page(type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
