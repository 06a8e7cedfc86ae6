package dev.sluice.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running simulator: the symbols are split over a few lanes, each a thread with its own part
 * of the market and one keep-alive connection to the hub, publishing its messages one after the
 * other, so every topic's updates arrive in order. A lane produces what is due on the clock, at
 * most a batch at a time; when the hub (or the machine) cannot take the requested rate, the lane
 * falls behind the clock instead of queueing without bound, and the figures show the rate reached.
 */
public final class DemoFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoFeed.class);
    private static final int BATCH = 512;
    private static final long TICK_MILLIS = 10;
    /** Quotes per second one lane is given; more lanes beyond that, up to {@link #MAX_LANES}. */
    private static final double RATE_PER_LANE = 800;
    private static final int MAX_LANES = 16;

    /** What the feed did so far; read from any thread. */
    public static final class Counters {
        private final AtomicLong quotes = new AtomicLong();
        private final AtomicLong bars = new AtomicLong();
        private final AtomicLong dropped = new AtomicLong();
        private final AtomicLong retried = new AtomicLong();
        private final ConcurrentHashMap<String, Long> lastLogged = new ConcurrentHashMap<>();

        public long quotes() {
            return quotes.get();
        }

        public long bars() {
            return bars.get();
        }

        public long dropped() {
            return dropped.get();
        }

        public long retried() {
            return retried.get();
        }

        void dropped(String why) {
            dropped.incrementAndGet();
            warnAtMostEvery10s("dropped an update the hub refused: " + why);
        }

        void retried(String why) {
            retried.incrementAndGet();
            warnAtMostEvery10s("the hub could not take an update (" + why + "); trying again");
        }

        private void warnAtMostEvery10s(String message) {
            long now = System.nanoTime();
            String key = message.length() > 40 ? message.substring(0, 40) : message;
            Long before = lastLogged.get(key);
            if (before == null || now - before > TimeUnit.SECONDS.toNanos(10)) {
                lastLogged.put(key, now);
                log.warn("demo feed: {}", message);
            }
        }
    }

    private final Counters counters = new Counters();
    private final List<Thread> lanes = new ArrayList<>();
    private final CompletableFuture<String> stopped = new CompletableFuture<>();
    private final HttpClient http;
    private volatile boolean running = true;

    private DemoFeed(DemoSettings settings, URI hub, String token) {
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
        List<SymbolSpec> symbols = settings.symbols();
        double total = symbols.size() * settings.ratePerSymbol();
        int n = (int) Math.max(1, Math.min(Math.min(MAX_LANES, symbols.size()), Math.ceil(total / RATE_PER_LANE)));
        long origin = System.currentTimeMillis();
        for (int l = 0; l < n; l++) {
            List<SymbolSpec> mine = new ArrayList<>();
            for (int i = l; i < symbols.size(); i += n) {
                mine.add(symbols.get(i));
            }
            Market market = new Market(mine, settings, origin);
            HubPublisher publisher = new HubPublisher(http, hub, token);
            lanes.add(Thread.ofPlatform().daemon().name("sluice-demo-" + l).unstarted(() -> run(market, publisher)));
        }
    }

    /**
     * Starts publishing the simulated market to the hub at {@code hub} (its publish URL, e.g.
     * {@code http://localhost:8080/.well-known/mercure}) with the publisher token {@code token}.
     */
    public static DemoFeed start(DemoSettings settings, URI hub, String token) {
        DemoFeed feed = new DemoFeed(settings, hub, token);
        feed.lanes.forEach(Thread::start);
        return feed;
    }

    public Counters counters() {
        return counters;
    }

    /** Completes with the reason when the feed stops by itself (the hub refused its token). */
    public CompletableFuture<String> stopped() {
        return stopped;
    }

    public int lanes() {
        return lanes.size();
    }

    private void run(Market market, HubPublisher publisher) {
        try {
            while (running) {
                long now = System.currentTimeMillis();
                int produced = market.advanceTo(now, BATCH, m -> {
                    if (running && publisher.publish(m, () -> running, counters)) {
                        (m.quote() ? counters.quotes : counters.bars).incrementAndGet();
                    }
                });
                if (produced < BATCH) {
                    Thread.sleep(TICK_MILLIS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (HubPublisher.Refused e) {
            running = false;
            log.error("demo feed stopped: {}", e.getMessage());
            stopped.complete(e.getMessage());
        } catch (RuntimeException e) {
            running = false;
            log.error("demo feed stopped after an unexpected error", e);
            stopped.complete("unexpected error: " + e);
        }
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : lanes) {
            t.interrupt();
        }
        for (Thread t : lanes) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stopped.complete("closed");
        http.close();
    }
}
