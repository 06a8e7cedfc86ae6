package dev.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.GatewayProcess;
import dev.sluice.support.RedisServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/nginx/sluice.conf in front of two gateways sharing a Redis log, with Debian's nginx on a
 * free port: the file as shipped, with only its upstream servers and listen port replaced. Streams
 * open, publishes are acknowledged and reach subscribers on both gateways, a resume replays what
 * was missed, the client address reaches admission control through X-Forwarded-For, and an idle
 * stream stays open and live well past nginx's read timeout, kept alive by the gateway's
 * heartbeats, which pass through unbuffered. So that the suite need not wait out the shipped
 * {@code proxy_read_timeout 1h} (or nginx's default of 60 s), the test shortens it to
 * {@value #READ_TIMEOUT_SECONDS} s with heartbeats every second and holds the stream for
 * {@value #HOLD_SECONDS} s: the mechanism is the same (each heartbeat is a read from the upstream,
 * which restarts nginx's timer), and the shipped value is checked to be far above the default
 * heartbeat.
 */
class NginxProxyTest {

    private static final String TOPIC = "https://example.com/books/1";
    /** The proxy_read_timeout the test gives nginx instead of the shipped one. */
    static final int READ_TIMEOUT_SECONDS = 3;
    /** How long the idle stream is held: well past the read timeout. */
    static final int HOLD_SECONDS = 10;
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void subscribePublishAndResumeThroughNginxWithAStreamThatOutlivesItsReadTimeoutOnHeartbeats() throws Exception {
        Path nginxBinary = Tools.require("nginx", "nginx");
        List<String> gatewayArgs = List.of("--heartbeat", HEARTBEAT.toSeconds() + "s",
                "--trusted-proxies", "127.0.0.1/32", "--subscribe-deny", "203.0.113.0/24");
        try (RedisServer redis = RedisServer.start(false);
             GatewayProcess g1 = GatewayProcess.launch(List.of(), redis.url(), gatewayArgs.toArray(String[]::new));
             GatewayProcess g2 = GatewayProcess.launch(List.of(), redis.url(), gatewayArgs.toArray(String[]::new));
             Nginx nginx = Nginx.start(nginxBinary, dir, List.of(g1.awaitPort(), g2.awaitPort()))) {
            URI hub = URI.create(nginx.base + "/.well-known/mercure");

            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(nginx.base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);

            long opened = System.nanoTime();
            Stream held = subscribe(hub, null, null);
            Stream direct = subscribe(g2.hubUrl(), null, null);
            List<String> ids = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                ids.add(publish(hub, "update " + i));
            }
            for (Stream s : List.of(held, direct)) {
                for (int i = 1; i <= 3; i++) {
                    SseEvent e = s.next();
                    assertThat(e.id()).isEqualTo(ids.get(i - 1));
                    assertThat(e.data()).isEqualTo("update " + i);
                }
            }

            // A client that saw only the first update resumes through nginx on whichever gateway.
            try (Stream resumed = subscribe(hub, ids.get(0), null)) {
                assertThat(resumed.next().data()).isEqualTo("update 2");
                assertThat(resumed.next().data()).isEqualTo("update 3");
            }

            // nginx adds the client's address to X-Forwarded-For; the gateway trusts nginx and so
            // applies its rules to that address: this one is denied.
            HttpResponse<String> denied = http.send(HttpRequest.newBuilder(URI.create(hub + "?topic=" + TOPIC))
                    .header("X-Forwarded-For", "203.0.113.7").timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(denied.statusCode()).as(denied.body()).isEqualTo(403);

            // Hold the stream idle for more than three read timeouts: it stays open, heartbeats arrive.
            Duration left = Duration.ofSeconds(HOLD_SECONDS).minusNanos(System.nanoTime() - opened);
            assertThat(held.reader.events.poll(Math.max(0, left.toMillis()), TimeUnit.MILLISECONDS))
                    .as("no event while idle").isNull();
            assertThat(held.reader.ended).as("the stream through nginx is still open").isFalse();
            assertThat(held.reader.comments.get()).as("heartbeats that passed nginx")
                    .isGreaterThanOrEqualTo(HOLD_SECONDS / 2);
            String late = publish(hub, "after " + HOLD_SECONDS + " s");
            SseEvent e = held.next();
            assertThat(e.id()).isEqualTo(late);
            assertThat(e.data()).isEqualTo("after " + HOLD_SECONDS + " s");
            assertThat(Files.readString(nginx.errorLog)).doesNotContain("upstream timed out");
            held.close();
            direct.close();
        }
    }

    private String publish(URI hub, String data) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(hub)
                .header("Authorization", "Bearer " + TestHub.publisher())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", TOPIC, "data", data))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private Stream subscribe(URI hub, String lastEventId, String forwardedFor) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub + "?topic=" + TOPIC))
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        if (forwardedFor != null) {
            b.header("X-Forwarded-For", forwardedFor);
        }
        HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        return new Stream(r);
    }

    /** A stream read in the background by the test suite's SSE parser. */
    private static final class Stream implements AutoCloseable {
        final SseReader reader = new SseReader();
        private final HttpResponse<InputStream> response;

        Stream(HttpResponse<InputStream> response) {
            this.response = response;
            Thread.ofVirtual().start(() -> reader.readAll(response.body()));
        }

        SseEvent next() throws InterruptedException {
            SseEvent e = reader.next(10_000);
            if (e == null) {
                throw new AssertionError("no event within 10 s (ended=" + reader.ended + ")");
            }
            return e;
        }

        @Override
        public void close() throws Exception {
            response.body().close();
        }
    }

    /** nginx in the foreground on a free loopback port, with a config made from deploy/nginx/sluice.conf. */
    static final class Nginx implements AutoCloseable {
        final String base;
        final Path errorLog;
        private final Process process;

        private Nginx(Process process, int port, Path errorLog) {
            this.process = process;
            this.base = "http://127.0.0.1:" + port;
            this.errorLog = errorLog;
        }

        static Nginx start(Path binary, Path dir, List<Integer> gatewayPorts) throws Exception {
            String shipped = Files.readString(Tools.DEPLOY.resolve("nginx/sluice.conf"));
            // The shipped read timeout is far above the gateway's default heartbeat (15 s), so a
            // stream never waits that long for a byte; the test runs the same file with a short one.
            assertThat(shipped).contains("proxy_read_timeout 1h;");
            shipped = shipped.replace("proxy_read_timeout 1h;", "proxy_read_timeout " + READ_TIMEOUT_SECONDS + "s;");
            StringBuilder servers = new StringBuilder();
            for (int p : gatewayPorts) {
                servers.append("    server 127.0.0.1:").append(p).append(" max_fails=1 fail_timeout=5s;\n");
            }
            String upstream = ComposeFileTest.upstreamBlock(shipped);
            String withGateways = shipped.replace(upstream,
                    upstream.replaceAll("(?m)^\\s*server\\s+[^;]+;\\n", "").replaceFirst("\\n", "\n" + servers));
            Matcher listen = Pattern.compile("(?m)^(\\s*)listen\\s+80;").matcher(withGateways);
            assertThat(listen.find()).as("sluice.conf listens on 80").isTrue();
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String t : List.of("body", "proxy", "fastcgi", "uwsgi", "scgi")) {
                Files.createDirectories(dir.resolve(t));
                Files.setPosixFilePermissions(dir.resolve(t), PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            Path errorLog = dir.resolve("error.log");
            for (int attempt = 1; ; attempt++) {
                int port = RedisServer.freePort();
                String conf = "daemon off;\nworker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\n"
                        + "error_log " + errorLog + " info;\nevents { worker_connections 256; }\nhttp {\n"
                        + "  access_log " + dir.resolve("access.log") + ";\n"
                        + "  client_body_temp_path " + dir.resolve("body") + ";\n"
                        + "  proxy_temp_path " + dir.resolve("proxy") + ";\n"
                        + "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";\n"
                        + "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";\n"
                        + "  scgi_temp_path " + dir.resolve("scgi") + ";\n"
                        + listen.replaceFirst("$1listen 127.0.0.1:" + port + ";") + "\n}\n";
                Path file = dir.resolve("nginx.conf");
                Files.writeString(file, conf);
                Process p = new ProcessBuilder(binary.toString(), "-e", errorLog.toString(), "-p", dir.toString(),
                        "-c", file.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile())
                        .start();
                Nginx nginx = new Nginx(p, port, errorLog);
                if (nginx.awaitListening()) {
                    return nginx;
                }
                nginx.close();
                String why = Files.readString(dir.resolve("nginx.out")) + Files.readString(errorLog);
                if (attempt == 3 || !why.contains("Address already in use")) {
                    throw new AssertionError("nginx did not start:\n" + why + "\nwith\n" + conf);
                }
            }
        }

        private boolean awaitListening() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline && process.isAlive()) {
                try (var s = new java.net.Socket()) {
                    s.connect(new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(base.replaceFirst(".*:", ""))), 200);
                    return true;
                } catch (java.io.IOException notYet) {
                    Thread.sleep(50);
                }
            }
            return false;
        }

        @Override
        public void close() throws Exception {
            process.destroy(); // SIGTERM: nginx's fast shutdown
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
