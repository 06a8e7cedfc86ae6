package dev.sluice.bench;

import dev.sluice.edge.LocalCertificate;
import dev.sluice.hub.Hub;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.H3Client;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import dev.sluice.support.TlsTrust;
import dev.sluice.topic.Update;
import io.netty.util.concurrent.EventExecutor;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * What TLS and HTTP/2 cost the gateway, measured the same way for every protocol (see
 * BENCHMARKS.md, "TLS and HTTP/2"):
 *
 * <ul>
 * <li><b>CPU per delivery</b>: a gateway in this JVM, 200 SSE subscribers of the JDK HttpClient
 *     (HTTP/1.1: one connection each; HTTP/2: multiplexed), updates of 100 bytes handed to the hub
 *     directly (no publish requests), and the CPU time of the gateway's event-loop threads alone
 *     divided by the deliveries (the client's threads are not counted).</li>
 * <li><b>Memory per idle stream</b>: a gateway in a process of its own, 1000 idle HTTP/1.1 SSE
 *     streams opened with raw sockets, plain or TLS; live heap after a full GC ({@code jcmd})
 *     and RSS, before and after, divided by the streams.</li>
 * </ul>
 *
 * With {@code h3} as the second argument: HTTP/2 over TLS and HTTP/3 (200 request streams of one
 * QUIC connection), alternating, for the CPU figure only.
 *
 * Run: {@code java -cp target/test-classes:target/classes:$(cat cp.txt) dev.sluice.bench.EdgeProtocolBench}
 * (cp.txt from {@code ./mvnw dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
public final class EdgeProtocolBench {

    private static final int SUBSCRIBERS = 200;
    private static final int WARM_UP = 2_000;
    private static final int MEASURED = 5_000;
    private static final int IDLE_STREAMS = 1_000;

    public static void main(String[] args) throws Exception {
        dev.sluice.Gateway.applyNettyDefaults();
        System.out.println("CPU per delivery (gateway event loops, " + SUBSCRIBERS + " subscribers, 100-byte updates)");
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        boolean onlyH2Tls = args.length > 1 && args[1].equals("h2tls");
        if (args.length > 1 && args[1].equals("h3")) {
            // HTTP/3 beside HTTP/2 over TLS, alternating, so both see the same machine.
            for (int run = 0; run < runs; run++) {
                cpu("HTTP/2 TLS    ", true, HttpClient.Version.HTTP_2);
                cpuHttp3("HTTP/3 (QUIC) ");
            }
            return;
        }
        for (int run = 0; run < runs; run++) {
            if (!onlyH2Tls) {
                cpu("HTTP/1.1 plain", false, HttpClient.Version.HTTP_1_1);
                cpu("HTTP/1.1 TLS  ", true, HttpClient.Version.HTTP_1_1);
                cpu("HTTP/2 h2c    ", false, HttpClient.Version.HTTP_2);
            }
            cpu("HTTP/2 TLS    ", true, HttpClient.Version.HTTP_2);
        }
        if (onlyH2Tls) {
            return;
        }
        System.out.println("Memory per idle HTTP/1.1 SSE stream (" + IDLE_STREAMS + " streams, separate gateway process)");
        memory(false);
        memory(true);
    }

    private static void cpu(String name, boolean tls, HttpClient.Version version) throws Exception {
        java.util.function.Consumer<dev.sluice.config.Config.Builder> options =
                b -> b.anonymous(true).heartbeat(Duration.ZERO).io("epoll");
        try (TestHub hub = tls ? TestHub.startTls(options) : TestHub.start(options)) {
            HttpClient.Builder cb = HttpClient.newBuilder().version(version);
            if (tls) {
                cb.sslContext(hub.sslContext());
            }
            HttpClient client = cb.build();
            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < SUBSCRIBERS; i++) {
                HttpResponse<java.io.InputStream> res = client.send(HttpRequest.newBuilder(
                        URI.create(hub.hubUrl + "?topic=bench")).build(), HttpResponse.BodyHandlers.ofInputStream());
                if (res.version() != version) {
                    throw new IllegalStateException(name + ": the client got " + res.version());
                }
                streams.add(new SseStream(res));
            }
            while (hub.gateway.hub().subscribers() < SUBSCRIBERS) {
                Thread.sleep(10);
            }
            List<Long> loops = new ArrayList<>();
            for (EventExecutor loop : hub.gateway.eventLoops()) {
                loops.add(loop.submit(() -> Thread.currentThread().threadId()).get());
            }
            Hub h = hub.gateway.hub();
            Update update = new Update("x", List.of("bench"), "d".repeat(100), false, null, -1);
            deliver(h, update, WARM_UP, streams);
            long cpuBefore = cpu(loops);
            long deliveriesBefore = h.stats().deliveries();
            long wallBefore = System.nanoTime();
            deliver(h, update, MEASURED, streams);
            long wall = System.nanoTime() - wallBefore;
            long deliveries = h.stats().deliveries() - deliveriesBefore;
            long cpu = cpu(loops) - cpuBefore;
            System.out.printf("  %s  %7.0f ns CPU per delivery  (%d deliveries, %.1f s wall)%n", name,
                    (double) cpu / deliveries, deliveries, wall / 1e9);
            for (SseStream s : streams) {
                s.close();
            }
        }
    }

    /**
     * As {@link #cpu} over HTTP/3: the 200 subscribers are request streams of one QUIC connection
     * of Netty's HTTP/3 client (as a browser multiplexes its EventSources), on a client event loop
     * of its own.
     */
    private static void cpuHttp3(String name) throws Exception {
        try (TestHub hub = TestHub.startTls(b -> b.anonymous(true).heartbeat(Duration.ZERO).io("epoll"));
             H3Client client = H3Client.connect(hub.gateway.port(), hub.certificate())) {
            List<H3Client.Stream> streams = new ArrayList<>();
            for (int i = 0; i < SUBSCRIBERS; i++) {
                streams.add(client.getCounting("/.well-known/mercure?topic=bench"));
            }
            while (hub.gateway.hub().subscribers() < SUBSCRIBERS) {
                Thread.sleep(10);
            }
            List<Long> loops = new ArrayList<>();
            for (EventExecutor loop : hub.gateway.eventLoops()) {
                loops.add(loop.submit(() -> Thread.currentThread().threadId()).get());
            }
            Hub h = hub.gateway.hub();
            Update update = new Update("x", List.of("bench"), "d".repeat(100), false, null, -1);
            // Every event has the same bytes (same id, same data): learn how many from one.
            for (H3Client.Stream s : streams) {
                while (s.bytes.get() == 0) {
                    Thread.sleep(1); // the opening block
                }
            }
            long[] before = new long[SUBSCRIBERS];
            for (int i = 0; i < SUBSCRIBERS; i++) {
                before[i] = streams.get(i).bytes.get();
            }
            h.accept(update);
            while (streams.get(0).bytes.get() == before[0]) {
                Thread.sleep(1);
            }
            long eventBytes = streams.get(0).bytes.get() - before[0];
            deliverHttp3(h, update, WARM_UP, streams, eventBytes);
            long cpuBefore = cpu(loops);
            long deliveriesBefore = h.stats().deliveries();
            long wallBefore = System.nanoTime();
            deliverHttp3(h, update, MEASURED, streams, eventBytes);
            long wall = System.nanoTime() - wallBefore;
            long deliveries = h.stats().deliveries() - deliveriesBefore;
            long cpu = cpu(loops) - cpuBefore;
            System.out.printf("  %s  %7.0f ns CPU per delivery  (%d deliveries, %.1f s wall)%n", name,
                    (double) cpu / deliveries, deliveries, wall / 1e9);
        }
    }

    /** As {@link #deliver}, waiting for the bytes of each burst on every HTTP/3 stream. */
    private static void deliverHttp3(Hub h, Update u, int n, List<H3Client.Stream> streams, long eventBytes)
            throws InterruptedException {
        long[] expected = new long[streams.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = streams.get(i).bytes.get();
        }
        for (int i = 0; i < n; i += 100) {
            for (int k = 0; k < 100; k++) {
                h.accept(u);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int s = 0; s < expected.length; s++) {
                expected[s] += 100 * eventBytes;
                while (streams.get(s).bytes.get() < expected[s]) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("stalled: an HTTP/3 stream is " + (expected[s]
                                - streams.get(s).bytes.get()) + " bytes behind; subscribers " + h.subscribers()
                                + ", cut loose " + h.stats().slowDisconnects());
                    }
                    Thread.sleep(1);
                }
            }
        }
    }

    /**
     * Hands n updates to the hub in bursts of 100; the next burst waits until every subscriber's
     * client has parsed the last one, so the clients (on the same two cores) set the pace and no
     * backlog builds up in the gateway.
     */
    private static void deliver(Hub h, Update u, int n, List<SseStream> streams) throws InterruptedException {
        for (int i = 0; i < n; i += 100) {
            for (int k = 0; k < 100; k++) {
                h.accept(u);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (SseStream s : streams) {
                while (s.reader.events.size() < 100) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("stalled: a client has " + s.reader.events.size()
                                + " of 100 events; subscribers " + h.subscribers() + ", cut loose "
                                + h.stats().slowDisconnects() + ", queued dispatches " + h.stats().queuedDispatches());
                    }
                    Thread.sleep(1);
                }
                s.reader.events.clear();
            }
        }
    }

    private static long cpu(List<Long> threads) {
        var mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads) {
            sum += mx.getThreadCpuTime(id);
        }
        return sum;
    }

    private static void memory(boolean tls) throws Exception {
        Path dir = Files.createTempDirectory("sluice-bench-tls");
        LocalCertificate cert = LocalCertificate.generate("localhost");
        List<String> extra = new ArrayList<>(List.of("--heartbeat", "0"));
        if (tls) {
            cert.write(dir.resolve("cert.pem"), dir.resolve("key.pem"));
            extra.addAll(List.of("--tls-cert", dir.resolve("cert.pem").toString(), "--tls-key", dir.resolve("key.pem").toString()));
        }
        try (GatewayProcess gateway = GatewayProcess.launch(List.of("-Xms256m", "-Xmx1g", "-Xmn16m", "-XX:+UseParallelGC",
                "--enable-native-access=ALL-UNNAMED"), "memory", extra.toArray(String[]::new))) {
            int port = gateway.awaitPort();
            SSLContext trust = TlsTrust.sslContext(cert.certificate());
            open(port, tls, trust, 50); // warm up the code paths
            long[] before = sample(gateway.pid());
            List<Socket> sockets = open(port, tls, trust, IDLE_STREAMS);
            Thread.sleep(2_000);
            long[] after = sample(gateway.pid());
            System.out.printf("  %s  heap %5.0f bytes, RSS %6.0f bytes per idle stream%n", tls ? "TLS  " : "plain",
                    (double) (after[0] - before[0]) / IDLE_STREAMS, (double) (after[1] - before[1]) / IDLE_STREAMS);
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    private static List<Socket> open(int port, boolean tls, SSLContext trust, int n) throws Exception {
        List<Socket> out = new ArrayList<>();
        byte[] request = ("GET /.well-known/mercure?topic=idle HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < n; i++) {
            Socket s = tls ? trust.getSocketFactory().createSocket("127.0.0.1", port) : new Socket("127.0.0.1", port);
            if (s instanceof SSLSocket ssl) {
                ssl.startHandshake();
            }
            OutputStream o = s.getOutputStream();
            o.write(request);
            o.flush();
            s.getInputStream().read(new byte[512]); // the head and opening block
            out.add(s);
        }
        return out;
    }

    /** Live heap after a full GC and RSS of the process, in bytes. */
    private static long[] sample(long pid) throws Exception {
        run("jcmd", Long.toString(pid), "GC.run");
        String heap = run("jcmd", Long.toString(pid), "GC.heap_info");
        Matcher used = Pattern.compile("total \\d+K, used (\\d+)K").matcher(heap);
        long usedBytes = 0;
        while (used.find()) {
            usedBytes += Long.parseLong(used.group(1)) * 1024;
        }
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        Matcher rss = Pattern.compile("VmRSS:\\s+(\\d+) kB").matcher(status);
        long rssBytes = rss.find() ? Long.parseLong(rss.group(1)) * 1024 : -1;
        return new long[] {usedBytes, rssBytes};
    }

    private static String run(String... cmd) throws Exception {
        List<String> full = new ArrayList<>(List.of(cmd));
        if (cmd[0].equals("jcmd")) {
            full.set(0, Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        }
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
