package dev.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution the build made, target/sluice-VERSION-linux-ARCH.tar.gz, unpacked and run as
 * an operator runs it on a machine without Java: no java on PATH, no JAVA_HOME, nothing of the
 * environment but a PATH holding the few commands the launcher needs. The gateway must run on
 * the runtime it ships, answer its health check, take publishes and stream them, resume, and
 * stop cleanly on SIGTERM; the systemd unit it ships must verify against its own layout.
 */
class DistributionIT {

    private static final Pattern LISTENING = Pattern.compile("Sluice listening on .*:(\\d+) ");
    private static final String TOPIC = "https://example.com/books/1";

    @TempDir
    static Path unpacked;
    @TempDir
    Path temp;

    private static Path home;
    private static Path path;

    @BeforeAll
    static void unpack() throws Exception {
        String version = System.getProperty("sluice.version");
        assertThat(version).as("the build passes sluice.version").isNotBlank();
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x64";
            case "aarch64" -> "aarch64";
            default -> null;
        };
        Assumptions.assumeTrue(arch != null, "no distribution is built for " + System.getProperty("os.arch"));
        String name = "sluice-" + version + "-linux-" + arch;
        Path tarball = Tools.ROOT.resolve("target").resolve(name + ".tar.gz");
        assertThat(tarball).as("the build's distribution").isRegularFile();
        Tools.Result tar = Tools.run(Duration.ofMinutes(2), List.of("tar", "-xzf", tarball.toString(), "-C", unpacked.toString()));
        assertThat(tar.exit()).as(tar.output()).isZero();
        try (Stream<Path> top = Files.list(unpacked)) {
            assertThat(top.map(p -> p.getFileName().toString()).toList()).as("one folder").containsExactly(name);
        }
        home = unpacked.resolve(name);
        // A PATH with only what the launchers use (copies of bash and two coreutils), and no java.
        path = unpacked.resolve("path");
        Files.createDirectories(path);
        for (String tool : List.of("bash", "dirname", "readlink")) {
            Path found = Tools.find(tool);
            assertThat(found).as(tool).isNotNull();
            Files.copy(found.toRealPath(), path.resolve(tool), StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    private static Map<String, String> bareEnvironment() {
        return Map.of("PATH", path.toString(), "LANG", "C.UTF-8");
    }

    private static ProcessBuilder bare(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(bareEnvironment());
        return pb;
    }

    @Test
    void itHoldsALinkedRuntimeTheJarAndTheLaunchers() throws Exception {
        for (String f : List.of("bin/sluice", "bin/healthcheck", "runtime/bin/java")) {
            assertThat(Files.isExecutable(home.resolve(f))).as(f).isTrue();
        }
        for (String f : List.of("lib/sluice.jar", "LICENSE", "README.md", "deploy/systemd/sluice.service",
                "deploy/nginx/sluice.conf", "deploy/prometheus/sluice-rules.yaml", "deploy/grafana/sluice.json")) {
            assertThat(home.resolve(f)).as(f).isRegularFile();
        }
        // A runtime made for the gateway, not a JDK: no compiler, only the modules it needs.
        assertThat(home.resolve("runtime/bin/javac")).doesNotExist();
        Process p = bare(List.of(home.resolve("runtime/bin/java").toString(), "--list-modules")).start();
        String modules = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(modules).contains("java.base@", "java.net.http@", "jdk.unsupported@", "jdk.management@")
                .doesNotContain("java.desktop@", "jdk.compiler@", "java.xml.crypto@");
        // and no java for the launcher to fall back on
        Process which = bare(List.of(path.resolve("bash").toString(), "-c", "command -v java")).start();
        assertThat(which.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(which.exitValue()).as("java on the bare PATH").isNotZero();
    }

    @Test
    void theGatewayRunsWithoutAJdkServesStreamsAndStopsCleanly() throws Exception {
        Path log = temp.resolve("log");
        Process gateway = bare(List.of(home.resolve("bin/sluice").toString(), "serve", "--listen", "127.0.0.1:0",
                "--transport", log.toUri().toString(), "--publisher-jwt-key", TestHub.SECRET, "--anonymous",
                "--workers", "1")).start();
        StringBuffer output = new StringBuffer();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.append(line).append('\n');
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (Exception ignored) {
                // the process ended
            } finally {
                port.completeExceptionally(new AssertionError("the gateway exited before listening:\n" + output));
            }
        });
        try {
            int p = port.get(60, TimeUnit.SECONDS);
            // The launcher handed over to the runtime that ships in the distribution.
            String command = gateway.info().command().orElseThrow();
            assertThat(Path.of(command).toRealPath()).isEqualTo(home.resolve("runtime/bin/java").toRealPath());

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + p;
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            URI hub = URI.create(base + "/.well-known/mercure");
            SseReader live = subscribe(http, hub, null);
            String first = publish(http, hub, "one");
            String second = publish(http, hub, "two");
            SseEvent e1 = next(live);
            SseEvent e2 = next(live);
            assertThat(List.of(e1.id(), e1.data(), e2.id(), e2.data())).containsExactly(first, "one", second, "two");
            SseReader resumed = subscribe(http, hub, first);
            SseEvent replayed = next(resumed);
            assertThat(List.of(replayed.id(), replayed.data())).containsExactly(second, "two");

            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            // process_cpu_usage comes from jdk.management, which jdeps cannot see is needed
            assertThat(metrics).contains("sluice_publish_accepted_total 2.0", "process_cpu_usage ", "jvm_threads_live_threads ");

            // bin/healthcheck: what the container image's HEALTHCHECK runs
            Tools.Result healthy = Tools.run(Duration.ofSeconds(30), home, bareEnvironment(),
                    List.of(home.resolve("bin/healthcheck").toString(), base + "/healthz"));
            assertThat(healthy.exit()).as(healthy.output()).isZero();
            Tools.Result notFound = Tools.run(Duration.ofSeconds(30), home, bareEnvironment(),
                    List.of(home.resolve("bin/healthcheck").toString(), base + "/nothing-here"));
            assertThat(notFound.exit()).isEqualTo(1);
            assertThat(notFound.output()).contains("answered 'HTTP/1.1 404");
            int closed = dev.sluice.support.RedisServer.freePort();
            Tools.Result refused = Tools.run(Duration.ofSeconds(30), home, bareEnvironment(),
                    List.of(home.resolve("bin/healthcheck").toString(), "http://127.0.0.1:" + closed + "/healthz"));
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.output()).contains("cannot connect to 127.0.0.1:" + closed);

            gateway.destroy(); // SIGTERM
            assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
            assertThat(gateway.exitValue()).as(output.toString()).isZero();
            assertThat(output.toString()).doesNotContain("Exception");
        } finally {
            gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theSystemdUnitItShipsVerifies() throws Exception {
        Path analyze = Tools.find("systemd-analyze");
        Assumptions.assumeTrue(analyze != null, "systemd-analyze is not installed (it comes with systemd): the unit is not verified here");
        // A root holding the system's units (what the unit depends on), the unit and the
        // distribution where the unit expects it.
        Path root = temp.resolve("root");
        Path systemUnits = Files.isDirectory(Path.of("/usr/lib/systemd/system")) ? Path.of("/usr/lib/systemd/system")
                : Path.of("/lib/systemd/system");
        copyTree(systemUnits, root.resolve("usr/lib/systemd/system"));
        copyTree(home.resolve("bin"), root.resolve("opt/sluice/bin"));
        Path unit = root.resolve("etc/systemd/system/sluice.service");
        Files.createDirectories(unit.getParent());
        Files.copy(home.resolve("deploy/systemd/sluice.service"), unit);
        Tools.Result verify = Tools.run(Duration.ofMinutes(1), List.of(analyze.toString(), "verify",
                "--root=" + root, "/etc/systemd/system/sluice.service"));
        assertThat(verify.exit()).as(verify.output()).isZero();
        assertThat(verify.output()).as("systemd-analyze's findings").isEmpty();

        // and it does find mistakes: a misspelt key and a launcher that is not there
        Files.writeString(unit, Files.readString(unit).replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"));
        Files.delete(root.resolve("opt/sluice/bin/sluice"));
        Tools.Result bad = Tools.run(Duration.ofMinutes(1), List.of(analyze.toString(), "verify",
                "--root=" + root, "/etc/systemd/system/sluice.service"));
        assertThat(bad.output()).contains("Unknown key 'NoNewPrivilege'").contains("/opt/sluice/bin/sluice");
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isSymbolicLink(f)) {
                    continue; // aliases and masked units: nothing the unit refers to
                }
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static String publish(HttpClient http, URI hub, String data) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(hub)
                .header("Authorization", "Bearer " + TestHub.publisher())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", TOPIC, "data", data))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static SseReader subscribe(HttpClient http, URI hub, String lastEventId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub + "?topic=" + TOPIC));
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        SseReader reader = new SseReader();
        Thread.ofVirtual().start(() -> reader.readAll(r.body()));
        return reader;
    }

    private static SseEvent next(SseReader reader) throws InterruptedException {
        SseEvent e = reader.next(10_000);
        assertThat(e).as("an event within 10 s").isNotNull();
        return e;
    }
}
