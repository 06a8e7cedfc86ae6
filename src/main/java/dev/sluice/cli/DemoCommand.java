package dev.sluice.cli;

import dev.sluice.config.ConfigException;
import dev.sluice.config.Durations;
import dev.sluice.demo.DemoFeed;
import dev.sluice.demo.DemoSettings;
import dev.sluice.demo.Topics;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sluice demo}: the market simulator alone, publishing to any Mercure hub. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {"Publish a simulated market to a Mercure hub: quotes on " + Topics.BASE + "quotes/{SYMBOL},",
            "1-second and 1-minute OHLCV bars on " + Topics.BASE + "bars/1s/{SYMBOL} and .../bars/1m/{SYMBOL}.",
            "It publishes like any client (form POST with a bearer token), so the hub's auth, limits and history apply.", ""},
        footer = {"", "Durations are " + Durations.GRAMMAR + ".",
            "Example: ./sluice demo --hub http://localhost:3000/.well-known/mercure --token \"$PUBLISHER_JWT\""})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--hub", required = true, paramLabel = "URL",
            description = "The hub's publish URL, e.g. http://localhost:8080/.well-known/mercure (a URL without a path"
                    + " gets /.well-known/mercure).")
    String hub;

    @Option(names = "--token", required = true, paramLabel = "JWT",
            description = "A publisher token the hub accepts for the demo's topics.")
    String token;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "0", converter = Units.DurationConverter.class,
            description = "Stop after this long (0: until Ctrl-C). Default: ${DEFAULT-VALUE}")
    Duration duration;

    @Option(names = "--report-every", paramLabel = "DURATION", defaultValue = "10s", converter = Units.DurationConverter.class,
            description = "How often a line with what was published is printed. Default: ${DEFAULT-VALUE}")
    Duration reportEvery;

    @Mixin
    DemoOptions demo = new DemoOptions();

    static URI hubUri(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException("--hub", "'" + text + "' is not a URL: " + e.getMessage());
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new ConfigException("--hub", "'" + text + "' must be an http:// or https:// URL with a host");
        }
        if (uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/")) {
            uri = uri.resolve("/.well-known/mercure");
        }
        return uri;
    }

    @Override
    public Integer call() throws Exception {
        URI target = hubUri(hub);
        if (token.isBlank()) {
            throw new ConfigException("--token", "must not be empty");
        }
        if (duration.isNegative()) {
            throw new ConfigException("--duration", "must not be negative");
        }
        if (reportEvery.toMillis() < 100) {
            throw new ConfigException("--report-every", "must be at least 100ms");
        }
        DemoSettings settings = demo.settings();
        DemoFeed feed = DemoFeed.start(settings, target, token.strip());
        System.out.printf(Locale.ROOT, "sluice demo: publishing %d symbols at %s quotes/s each to %s%n",
                settings.symbols().size(), trim(settings.ratePerSymbol()), target);
        System.out.flush();
        // Ctrl-C or SIGTERM while publishing: stop cleanly, say what was published, exit 0. When the
        // command ends by itself (done, or the hub refused the token) it has already said so.
        java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (finished.get()) {
                return;
            }
            feed.close();
            report(feed, "stopped");
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }, "sluice-demo-stop"));
        try {
            return publish(feed, finished);
        } finally {
            finished.set(true);
        }
    }

    private int publish(DemoFeed feed, java.util.concurrent.atomic.AtomicBoolean finished) {
        long start = System.nanoTime();
        long end = duration.isZero() ? Long.MAX_VALUE : start + duration.toNanos();
        while (System.nanoTime() < end) {
            long wait = Math.min(reportEvery.toNanos(), end - System.nanoTime());
            try {
                String reason = feed.stopped().get(Math.max(1, wait), TimeUnit.NANOSECONDS);
                finished.set(true);
                feed.close();
                System.err.println("sluice demo: " + reason);
                return 1;
            } catch (java.util.concurrent.TimeoutException more) {
                report(feed, String.format(Locale.ROOT, "%.0fs", (System.nanoTime() - start) / 1e9));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
        finished.set(true);
        feed.close();
        report(feed, "done");
        return 0;
    }

    private static void report(DemoFeed feed, String when) {
        var c = feed.counters();
        System.out.printf(Locale.ROOT, "sluice demo: %s: %d quotes, %d bars published; %d dropped, %d retried%n",
                when, c.quotes(), c.bars(), c.dropped(), c.retried());
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
