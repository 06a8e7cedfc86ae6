package dev.sluice.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.GatewayProcess;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * At least 100,000 random and mutated requests ({@link RequestGenerator}) against a gateway
 * process, many per connection (pipelined, then half-closed), from several threads, while
 * subscribers with restricted tokens stay connected and untouched private updates are published
 * among the garbage. Then: no answer was a 5xx (other than 505 for an HTTP version that is not
 * 1.x), every connection was answered or closed within the bound (no hang), every answer was
 * HTTP, the process is alive and its log holds no stack trace, a plain subscriber and publisher
 * still work, no subscriber is left registered, the live heap after a full GC is within a bound
 * of its baseline, and no watcher ever got a private update its token does not allow, while each
 * got all those it does.
 *
 * <p>Replay a run with {@code -Dsluice.hostile.seed=N}; change its size with
 * {@code -Dsluice.hostile.requests=N} and its time bound with {@code -Dsluice.hostile.seconds=S}.
 */
class GeneratedRequestsTest {

    static final long SEED = Long.getLong("sluice.hostile.seed", System.nanoTime());
    static final int REQUESTS = Integer.getInteger("sluice.hostile.requests", 100_000);
    static final int SECONDS = Integer.getInteger("sluice.hostile.seconds", 80);
    static final int CONNECTIONS = 12;
    /** Longest wait for any answer or close: more is a hang. */
    static final int READ_TIMEOUT_MILLIS = 15_000;
    /** How far the live heap after a full GC may end above its baseline. */
    static final long HEAP_BOUND = 24L << 20;
    static final String PRIVATE = "https://example.com/private/";

    final LongAdder tried = new LongAdder();
    final LongAdder answered = new LongAdder();
    final LongAdder connections = new LongAdder();
    final LongAdder closes = new LongAdder();
    final LongAdder resets = new LongAdder();
    final LongAdder hangs = new LongAdder();
    final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @Test
    void randomAndMutatedRequestsBreakNothing() throws Exception {
        System.out.println("GeneratedRequestsTest seed " + SEED + " (replay with -Dsluice.hostile.seed=" + SEED + ")");
        try (GatewayProcess gateway = GatewayProcess.launch(
                // Netty reports a buffer that was never released as an ERROR "LEAK:" line, which the log check catches.
                List.of("-Xmx256m", "-Dio.netty.leakDetection.level=simple"), "memory",
                "--max-body-size", "16KiB", "--history-size", "5000", "--history-max-bytes", "4MiB",
                "--subscriber-budget", "16MiB", "--selector-cache", "1000", "--match-cache", "5000",
                "--publisher-token-cache", "200", "--subscriber-token-cache", "200",
                "--cors-origins", "https://app.example", "--publish-origins", "https://app.example",
                "--hub-url", dev.sluice.mercure.AccessTokens.HUB_URL,
                "--trusted-issuer", dev.sluice.mercure.AccessTokens.TRUSTED)) {
            int port = gateway.awaitPort();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<Watcher> watchers = List.of(
                    new Watcher("alice", Set.of("alice"), PRIVATE + "{owner}/{n}"),
                    new Watcher("bob", Set.of("bob"), PRIVATE + "{owner}/{n}"),
                    new Watcher("alice+carol", Set.of("alice", "carol"), PRIVATE + "{owner}/{n}"),
                    new Watcher("anonymous", Set.of(), PRIVATE + "{owner}/{n}"),
                    new Watcher("bob on *", Set.of("bob"), "*"),
                    // Mercure 1.0 subscribers: URL patterns and access tokens on the same hub.
                    new Watcher("alice (1.0)", Set.of("alice"), PRIVATE + ":owner/:n", true),
                    new Watcher("bob+carol on * (1.0)", Set.of("bob", "carol"), "*", true),
                    new Watcher("anonymous (1.0)", Set.of(), PRIVATE + ":owner/:n", true));
            for (Watcher w : watchers) {
                w.open(http, port);
            }
            Pristine pristine = new Pristine(port, SEED);

            // Warm-up (a tenth of the run), so that the baseline includes filled caches and history.
            int warmUp = REQUESTS / 10;
            runGenerated(port, SEED, warmUp, SECONDS, pristine);
            long warmUpTried = tried.sum();
            long baseline = liveHeap(gateway, http, port);

            long started = System.nanoTime();
            runGenerated(port, SEED + 1, REQUESTS - warmUp, SECONDS, pristine);
            long mainTried = tried.sum() - warmUpTried;
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);

            boolean alive = gateway.isAlive();
            // A plain subscriber and publisher still work.
            SseReader plain = new SseReader();
            HttpResponse<InputStream> sub = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/.well-known/mercure?topic=after")).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(sub.statusCode()).isEqualTo(200);
            Thread.ofVirtual().start(() -> plain.readAll(sub.body()));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> plain.lastRetry != null);
            HttpResponse<String> pub = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/.well-known/mercure")).header("Authorization", "Bearer " + TestHub.publisher())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("topic=after&data=fine")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(pub.statusCode()).isEqualTo(200);
            SseEvent after = plain.next(10_000);
            assertThat(after).as("the plain subscriber gets the plain publish").isNotNull();
            assertThat(after.data()).isEqualTo("fine");
            sub.body().close();

            // Every watcher got each untouched private update it may see, and none it may not.
            for (Watcher w : watchers) {
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> w.missing(pristine).isEmpty()
                        || w.reader.ended);
            }
            long leaks = watchers.stream().mapToLong(w -> w.leaks.size()).sum();

            // Nothing left registered but the watchers; memory back to its baseline.
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> subscribers(http, port) == watchers.size());
            long heap = liveHeap(gateway, http, port);

            String statuses = new TreeMap<>(byStatus).toString();
            long bufferLeaks = gateway.output().lines().filter(l -> l.contains("LEAK:")).count();
            System.out.printf("GeneratedRequestsTest seed %d: %d requests tried (%d warm-up, then %d in %d s) on %d"
                            + " connections, %d answered %s, %d connections closed by the gateway, %d resets, %d hangs,"
                            + " %d crashes, %d untouched private updates published (%d acknowledged), %d private leaks,"
                            + " %d buffer leaks, live heap after full GC %d KiB -> %d KiB (bound +%d KiB), %d"
                            + " subscribers left%n",
                    SEED, tried.sum(), warmUpTried, mainTried, seconds, connections.sum(), answered.sum(), statuses,
                    closes.sum(), resets.sum(), hangs.sum(), alive ? 0 : 1, pristine.sent.get(),
                    pristine.acknowledged.size(), leaks, bufferLeaks, baseline >> 10, heap >> 10, HEAP_BOUND >> 10,
                    subscribers(http, port) - watchers.size());

            assertThat(failures).as("protocol failures (seed " + SEED + ")").isEmpty();
            assertThat(alive).as("the gateway process is alive").isTrue();
            assertThat(tried.sum()).as("requests tried within twice " + SECONDS + " s").isGreaterThanOrEqualTo(REQUESTS);
            assertThat(hangs.sum()).as("connections neither answered nor closed within "
                    + READ_TIMEOUT_MILLIS + " ms").isZero();
            byStatus.forEach((status, n) -> assertThat(status == 505 || status < 500)
                    .as(n + " answers with status " + status + " (seed " + SEED + ")").isTrue());
            for (Watcher w : watchers) {
                assertThat(w.leaks).as("private updates " + w.name + " may not see").isEmpty();
                assertThat(w.reader.ended).as(w.name + "'s stream is still open").isFalse();
                assertThat(w.missing(pristine)).as("private updates " + w.name + " should have got").isEmpty();
            }
            assertThat(pristine.acknowledged).as("untouched private publishes acknowledged").isNotEmpty();
            assertThat(heap).as("live heap after the run vs. baseline " + baseline).isLessThan(baseline + HEAP_BOUND);
            assertCleanLog(gateway.output());
            for (Watcher w : watchers) {
                w.close();
            }
        }
    }

    /** Sends {@code count} generated requests from {@link #CONNECTIONS} threads, and private publishes meanwhile. */
    private void runGenerated(int port, long seed, int count, int seconds, Pristine pristine) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong budget = new AtomicLong(count);
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS + 1);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < CONNECTIONS; t++) {
                RequestGenerator generator = new RequestGenerator(seed * 31 + t);
                java.util.SplittableRandom sizes = new java.util.SplittableRandom(seed * 17 + t);
                work.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        // Well-formed requests pipelined on a keep-alive connection, then (mostly)
                        // one that may end it: the gateway reads every request of the batch.
                        int wellFormed = sizes.nextInt(9);
                        boolean last = wellFormed == 0 || sizes.nextInt(10) < 9;
                        int n = wellFormed + (last ? 1 : 0);
                        if (budget.addAndGet(-n) + n <= 0) {
                            return null;
                        }
                        List<byte[]> batch = new ArrayList<>(n);
                        for (int i = 0; i < wellFormed; i++) {
                            batch.add(generator.wellFormed());
                        }
                        if (last) {
                            batch.add(generator.last());
                        }
                        oneConnection(port, batch);
                    }
                    return null;
                }));
            }
            Future<?> publishing = pool.submit(() -> {
                while (!done.get()) {
                    pristine.publishBatch();
                    Thread.sleep(5);
                }
                return null;
            });
            for (Future<?> f : work) {
                f.get();
            }
            done.set(true);
            publishing.get();
        } finally {
            pool.shutdownNow();
        }
    }

    /** One connection: the whole batch pipelined, a half-close, then every answer until the close. */
    private void oneConnection(int port, List<byte[]> batch) {
        connections.increment();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        batch.forEach(bytes::writeBytes);
        tried.add(batch.size());
        try (RawConnection conn = new RawConnection(port, READ_TIMEOUT_MILLIS)) {
            try {
                conn.send(bytes.toByteArray());
                conn.shutdownOutput();
            } catch (IOException e) {
                // The gateway closed before it read everything (it refused what came first): read what it said.
            }
            while (true) {
                RawConnection.Answer a = conn.read();
                if (a == null) {
                    closes.increment();
                    return;
                }
                answered.increment();
                byStatus.computeIfAbsent(a.status(), s -> new LongAdder()).increment();
                if (a.status() >= 500 && a.status() != 505 && failures.size() < 20) {
                    failures.add("status " + a.status() + ": " + a.body() + " for a batch starting "
                            + new String(batch.get(0), 0, Math.min(200, batch.get(0).length), StandardCharsets.ISO_8859_1));
                }
            }
        } catch (SocketTimeoutException e) {
            hangs.increment();
            if (failures.size() < 20) {
                failures.add("no answer and no close within " + READ_TIMEOUT_MILLIS + " ms for a batch starting "
                        + new String(batch.get(0), 0, Math.min(300, batch.get(0).length), StandardCharsets.ISO_8859_1));
            }
        } catch (RawConnection.NotHttp e) {
            if (failures.size() < 20) {
                failures.add("not HTTP: " + e.getMessage());
            }
        } catch (IOException e) {
            // Connection reset: the gateway closed with some of our pipelined bytes unread, which
            // TCP reports as a reset. An answer may be lost with it; nothing to hold against it.
            resets.increment();
        }
    }

    /** Untouched private publishes to the owners' topics, pipelined on a keep-alive connection. */
    static final class Pristine {
        final int port;
        final java.util.SplittableRandom random;
        final AtomicLong sent = new AtomicLong();
        /** id -> owners whose topics the update was published to. */
        final Map<String, Set<String>> acknowledged = new ConcurrentHashMap<>();
        RawConnection conn;

        Pristine(int port, long seed) {
            this.port = port;
            this.random = new java.util.SplittableRandom(seed ^ 0x5eed);
        }

        void publishBatch() throws IOException {
            if (conn == null) {
                conn = new RawConnection(port, READ_TIMEOUT_MILLIS);
            }
            int n = 1 + random.nextInt(8);
            List<String> ids = new ArrayList<>(n);
            List<Set<String>> owners = new ArrayList<>(n);
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < n; i++) {
                String id = "p-" + sent.incrementAndGet();
                String first = RequestGenerator.OWNERS[random.nextInt(3)];
                String second = random.nextInt(4) == 0 ? RequestGenerator.OWNERS[random.nextInt(3)] : first;
                Set<String> to = first.equals(second) ? Set.of(first) : Set.of(first, second);
                String body = "topic=" + enc(PRIVATE + first + "/" + random.nextInt(500))
                        + (second.equals(first) ? "" : "&topic=" + enc(PRIVATE + second + "/" + random.nextInt(500)))
                        + "&private=on&id=" + id + "&data=" + enc(RequestGenerator.SECRET_MARK
                        + String.join("+", new java.util.TreeSet<>(to)) + "-" + id);
                batch.append("POST /.well-known/mercure HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ")
                        .append(TestHub.publisher()).append("\r\nContent-Type: application/x-www-form-urlencoded\r\n")
                        .append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body);
                ids.add(id);
                owners.add(to);
            }
            conn.send(batch.toString());
            for (int i = 0; i < n; i++) {
                RawConnection.Answer a = conn.read();
                if (a == null || a.status() != 200 || !a.body().equals(ids.get(i))) {
                    throw new AssertionError("an untouched private publish was answered " + a);
                }
                acknowledged.put(ids.get(i), owners.get(i));
            }
        }
    }

    /** A subscriber with a restricted token, connected throughout, checking every event it gets. */
    static final class Watcher {
        static final Pattern SECRET = Pattern.compile(RequestGenerator.SECRET_MARK + "([a-z+]+)-(p-\\d+)");

        final String name;
        final Set<String> owners;
        final String selector;
        final SseReader reader = new SseReader();
        final Set<String> received = ConcurrentHashMap.newKeySet();
        final List<String> leaks = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpResponse<InputStream> response;

        final boolean v1;

        Watcher(String name, Set<String> owners, String selector) {
            this(name, owners, selector, false);
        }

        Watcher(String name, Set<String> owners, String selector, boolean v1) {
            this.name = name;
            this.owners = owners;
            this.selector = selector;
            this.v1 = v1;
        }

        void open(HttpClient http, int port) throws Exception {
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/.well-known/mercure?" + (v1 ? "match_urlpattern=" : "topic=") + enc(selector)));
            if (!owners.isEmpty() && !v1) {
                r.header("Authorization", "Bearer " + TestHub.subscriber(owners.stream()
                        .map(o -> PRIVATE + o + "/{n}").toArray(String[]::new)));
            }
            if (!owners.isEmpty() && v1) {
                r.header("Authorization", "Bearer " + dev.sluice.mercure.AccessTokens.token(List.of(
                        dev.sluice.mercure.AccessTokens.detail(List.of("subscribe"), owners.stream()
                                .map(o -> dev.sluice.mercure.AccessTokens.match(PRIVATE + o + "/:n", "urlpattern"))
                                .toList()))));
            }
            response = http.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).as(name).isEqualTo(200);
            Thread.ofVirtual().start(() -> reader.readAll(response.body()));
            Thread.ofVirtual().start(this::check);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reader.lastRetry != null);
        }

        private void check() {
            try {
                while (!reader.ended || !reader.events.isEmpty()) {
                    SseEvent e = reader.next(500);
                    if (e == null || !e.data().contains(RequestGenerator.SECRET_MARK)) {
                        continue;
                    }
                    Matcher m = SECRET.matcher(e.data());
                    if (!m.matches()) {
                        leaks.add("unexpected secret data: " + e.data());
                        continue;
                    }
                    boolean allowed = false;
                    for (String owner : m.group(1).split("\\+")) {
                        allowed |= owners.contains(owner);
                    }
                    if (!allowed) {
                        leaks.add(m.group(2) + " for " + m.group(1));
                    }
                    received.add(m.group(2));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        List<String> missing(Pristine pristine) {
            List<String> missing = new ArrayList<>();
            pristine.acknowledged.forEach((id, to) -> {
                if (to.stream().anyMatch(owners::contains) && !received.contains(id)) {
                    missing.add(id);
                }
            });
            return missing;
        }

        void close() throws IOException {
            response.body().close();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static long subscribers(HttpClient http, int port) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^sluice_subscribers (\\S+)$").matcher(metrics);
        assertThat(m.find()).isTrue();
        return (long) Double.parseDouble(m.group(1));
    }

    /** Heap in use right after a full GC of the gateway process (jcmd GC.run), from its /metrics. */
    private static long liveHeap(GatewayProcess gateway, HttpClient http, int port) throws Exception {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), String.valueOf(gateway.pid()), "GC.run")
                .redirectErrorStream(true).start();
        String out = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gc.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(gc.exitValue()).as(out).isZero();
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\",[^}]*} (\\S+)$").matcher(metrics);
        long sum = 0;
        int pools = 0;
        while (m.find()) {
            sum += (long) Double.parseDouble(m.group(1));
            pools++;
        }
        assertThat(pools).as("heap pools in /metrics").isPositive();
        return sum;
    }

    /**
     * The gateway's output holds no stack trace and no error: every WARN line is a bad-request
     * line, and nothing looks like an exception's first line or a frame.
     */
    static void assertCleanLog(String log) {
        List<String> bad = log.lines().filter(l -> l.startsWith("\tat ") || l.startsWith("Caused by")
                || l.contains(" ERROR ") || (l.contains(" WARN ") && !l.contains("bad request from /127.0.0.1:"))
                || l.matches("^(?:[a-z]\\w*\\.)+\\w*(?:Exception|Error)(?::.*)?$")).limit(20).toList();
        assertThat(bad).as("log lines that are not a bad-request line").isEmpty();
    }
}
