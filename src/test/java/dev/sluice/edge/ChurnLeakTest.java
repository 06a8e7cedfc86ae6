package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.cli.Main;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.TestHub;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Many subscribe/disconnect cycles (graceful closes and resets, with updates flowing) against a
 * gateway process running Netty's leak detector at its paranoid level: afterwards no subscriber
 * is left registered, no buffer leaked, and heap and pooled direct memory are back to their
 * baseline. The cycle count is {@code -Dsluice.churn.cycles} (default 20,000; BENCHMARKS.md
 * records a 100,000-cycle run).
 */
@OnEveryIoKind
class ChurnLeakTest {

    @Parameter
    IoKind io;

    private static final int CYCLES = Integer.getInteger("sluice.churn.cycles", 20_000);

    @Test
    void churnLeavesNothingBehind() throws Exception {
        io.assumeAvailable();
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        Process gateway = new ProcessBuilder(javaBin, "-Xmx512m", "-XX:+UseParallelGC",
                "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--listen", "127.0.0.1:0", "--anonymous", "--workers", "2",
                "--io", io.option(), "--publisher-jwt-key", TestHub.SECRET, "--heartbeat", "1s", "--history-size", "500")
                .redirectError(ProcessBuilder.Redirect.PIPE).start();
        List<String> stderr = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try {
                new BufferedReader(new InputStreamReader(gateway.getErrorStream(), StandardCharsets.UTF_8))
                        .lines().forEach(stderr::add);
            } catch (java.io.UncheckedIOException closed) {
                // the process was stopped: its stderr is closed, nothing more to read
            }
        });
        try {
            int port = readPort(gateway.getInputStream(), io);
            HttpClient http = HttpClient.newHttpClient();
            URI hub = URI.create("http://127.0.0.1:" + port + "/.well-known/mercure");
            URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");

            // Warm up and fill the history (it legitimately holds 500 events, and in paranoid mode
            // the leak detector's access records for each), then take the baseline after a full GC.
            churn(port, hub, http, 2_000);
            fillHistory(http, hub);
            long[] baseline = memoryAfterGc(gateway.pid(), http, metrics);

            churn(port, hub, http, CYCLES);
            Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> metric(http, metrics, "sluice_subscribers") == 0);
            memoryAfterGc(gateway.pid(), http, metrics);
            // Same history contents as at the baseline, so memory compares like for like; this
            // also makes the leak detector report what a GC found (it reports on allocation).
            fillHistory(http, hub);
            long[] after = memoryAfterGc(gateway.pid(), http, metrics);
            publish(http, hub, "x".repeat(512));
            memoryAfterGc(gateway.pid(), http, metrics);
            publish(http, hub, "x".repeat(512));

            System.out.printf("churn: %d cycles; heap after GC %d -> %d bytes; pooled direct in use %d -> %d bytes%n",
                    CYCLES, baseline[0], after[0], baseline[1], after[1]);
            assertThat(stderr).as("Netty leak reports").noneMatch(l -> l.contains("LEAK"));
            assertThat(after[0]).as(() -> "heap after GC vs baseline " + baseline[0] + "; live objects:\n"
                            + histogram(gateway.pid()))
                    .isLessThanOrEqualTo((long) (baseline[0] * 1.05) + (1 << 20)); // shrinking is fine
            assertThat(after[1]).as("pooled direct memory in live buffers vs baseline %d", baseline[1])
                    .isLessThanOrEqualTo(baseline[1] + (64 << 10));
        } finally {
            gateway.destroy();
            gateway.waitFor(10, TimeUnit.SECONDS);
            gateway.destroyForcibly();
        }
    }

    /** Four threads of connect, subscribe, read the opening, then close or reset; publishes flow. */
    private static void churn(int port, URI hub, HttpClient http, int cycles) throws Exception {
        AtomicInteger left = new AtomicInteger(cycles);
        AtomicInteger failures = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                work.add(pool.submit(() -> {
                    byte[] request = ("GET /.well-known/mercure?topic=churn&topic=" + TestHub.q("c/{x}")
                            + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                    byte[] buf = new byte[4096];
                    int n;
                    // Source addresses 127.0.0.1-8 spread the ephemeral ports over several ranges.
                    while ((n = left.decrementAndGet()) >= 0) {
                        try (Socket s = new Socket()) {
                            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0." + (1 + (n + thread) % 8)), 0));
                            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                            s.setSoTimeout(5000);
                            s.getOutputStream().write(request);
                            int got = s.getInputStream().read(buf);
                            if (got <= 0) {
                                failures.incrementAndGet();
                            }
                            if (n % 2 == 0) {
                                s.setSoLinger(true, 0); // reset instead of a clean close
                            }
                        } catch (java.io.IOException e) {
                            failures.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            work.add(pool.submit(() -> {
                while (left.get() > 0) {
                    publish(http, hub, "x".repeat(512));
                }
                return null;
            }));
            for (Future<?> f : work) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures.get()).as("failed cycles").isLessThanOrEqualTo(cycles / 1000);
    }

    /** 600 updates like the ones published during churn: the 500-event history is all theirs. */
    private static void fillHistory(HttpClient http, URI hub) throws Exception {
        for (int i = 0; i < 600; i++) {
            publish(http, hub, "x".repeat(512));
        }
    }

    private static void publish(HttpClient http, URI hub, String data) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(hub)
                .header("Authorization", "Bearer " + TestHub.publisher())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "churn", "topic", "c/1", "data", data)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    /** Heap used and pooled direct memory pinned by live buffers, after a full GC in the gateway. */
    private static long[] memoryAfterGc(long pid, HttpClient http, URI metrics) throws Exception {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        for (int i = 0; i < 2; i++) {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String body = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        long heap = 0;
        Matcher m = Pattern.compile("jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]+\"} ([0-9.E]+)").matcher(body);
        while (m.find()) {
            heap += (long) Double.parseDouble(m.group(1));
        }
        return new long[] {heap, (long) metricValue(body, "sluice_netty_pooled_direct_pinned_bytes")};
    }

    private static String histogram(long pid) {
        try {
            Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return String.join("\n", out.lines().limit(25).toList());
        } catch (Exception e) {
            return "(no histogram: " + e + ")";
        }
    }

    private static double metric(HttpClient http, URI metrics, String name) throws Exception {
        return metricValue(http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body(), name);
    }

    private static double metricValue(String body, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " ([0-9.E+-]+)$").matcher(body);
        if (!m.find()) {
            throw new AssertionError("no metric " + name);
        }
        return Double.parseDouble(m.group(1));
    }

    /** The port from the start-up line, which also names the I/O kind in use. */
    private static int readPort(InputStream out, IoKind io) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("Sluice listening on .*:(\\d+) \\((\\w+)\\)");
        String line;
        while ((line = r.readLine()) != null) {
            Matcher m = listening.matcher(line);
            if (m.find()) {
                assertThat(m.group(2)).as("I/O kind of the gateway").isEqualToIgnoringCase(io.name());
                Thread.ofVirtual().start(() -> {
                    try {
                        r.lines().forEach(l -> { });
                    } catch (java.io.UncheckedIOException closed) {
                        // the process was stopped
                    }
                });
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("gateway did not start");
    }
}
