package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.SseReader;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice serve} as a real process: start-up output, configuration errors, SIGTERM. */
class ServeProcessTest {

    private static Process launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
        pb.environment().putAll(env);
        return pb.start();
    }

    @Test
    void servesPrintsATokenAndStopsCleanlyOnSigterm() throws Exception {
        Process p = launch(Map.of(), "serve", "--listen", "127.0.0.1:0", "--workers", "1");
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            String token = null;
            Pattern listening = Pattern.compile("Sluice listening on .*:(\\d+) ");
            String line;
            while ((line = out.readLine()) != null && (port < 0 || token == null)) {
                Matcher m = listening.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
                if (line.trim().startsWith("publisher token:")) {
                    token = line.trim().substring("publisher token:".length()).trim();
                }
            }
            assertThat(port).isPositive();
            assertThat(token).isNotBlank();

            HttpClient http = HttpClient.newHttpClient();
            URI hub = URI.create("http://127.0.0.1:" + port + "/.well-known/mercure");
            HttpResponse<InputStream> sub = http.send(HttpRequest.newBuilder(URI.create(hub + "?topic=t"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(sub.statusCode()).isEqualTo(200);
            SseReader reader = new SseReader();
            Thread.ofVirtual().start(() -> reader.readAll(sub.body()));
            Awaitility.await().until(() -> reader.comments.get() > 0);
            HttpResponse<String> pub = http.send(HttpRequest.newBuilder(hub).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("topic=t&data=hi")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(pub.statusCode()).isEqualTo(200);
            assertThat(reader.events.poll(10, TimeUnit.SECONDS).data()).isEqualTo("hi");

            p.destroy(); // SIGTERM
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("stops within a few seconds").isTrue();
            assertThat(p.exitValue()).isZero();
            Awaitility.await().until(() -> reader.ended);
            // A drain, not a reset: the stream says why it ends and when to come back, then ends
            // as a complete response.
            assertThat(reader.failure).as("the stream ended without an error").isNull();
            assertThat(reader.commentTexts).contains(" hub draining, resume elsewhere (wave 1 of 50)");
            assertThat(reader.lastRetry).isNotNull();
        } finally {
            p.destroyForcibly();
        }
    }

    private static String runToEnd(Process p) throws Exception {
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
                + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void invalidOptionStopsStartUpNamingIt() throws Exception {
        Process p = launch(Map.of(), "serve", "--listen", "127.0.0.1:0", "--history-size", "-5");
        String output = runToEnd(p);
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(output).contains("--history-size").contains("-5");
    }

    @Test
    void environmentVariablesAreOptionsToo() throws Exception {
        Process p = launch(Map.of("SLUICE_HEARTBEAT", "often"), "serve", "--listen", "127.0.0.1:0");
        String output = runToEnd(p);
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(output).contains("environment variable SLUICE_HEARTBEAT (--heartbeat)").contains("often");

        Process bad = launch(Map.of("SLUICE_PUBLISHER_JWT_KEY", "short"), "serve", "--listen", "127.0.0.1:0");
        String badOut = runToEnd(bad);
        assertThat(bad.exitValue()).isEqualTo(2);
        assertThat(badOut).contains("environment variable SLUICE_PUBLISHER_JWT_KEY (--publisher-jwt-key)")
                .contains("at least 32 bytes");
    }

    @Test
    void configFileIsReadAndUnknownKeysAreRefused(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("sluice.properties");
        Files.writeString(good, "subscriber-budget = 1KiB\n");
        Process p = launch(Map.of(), "serve", "--config", good.toString(), "--listen", "127.0.0.1:0");
        String output = runToEnd(p);
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(output).as("the value came from the file").contains("'subscriber-budget' in " + good + " (--subscriber-budget)").contains("1024");

        Path typo = dir.resolve("typo.properties");
        Files.writeString(typo, "histroy-size = 5\n");
        Process q = launch(Map.of("SLUICE_CONFIG", typo.toString()), "serve", "--listen", "127.0.0.1:0");
        String qOut = runToEnd(q);
        assertThat(q.exitValue()).isEqualTo(2);
        assertThat(qOut).contains("unknown key 'histroy-size'");
    }

    @Test
    void helpListsEveryOptionWithItsDefault() throws Exception {
        Process p = launch(Map.of(), "serve", "--help");
        String output = runToEnd(p).replaceAll("\\s+", " ");
        assertThat(p.exitValue()).isZero();
        for (String option : List.of("--listen", "--publisher-jwt-key", "--publisher-jwt-alg", "--subscriber-jwt-key",
                "--subscriber-jwt-alg", "--[no-]anonymous", "--heartbeat", "--history-size", "--history-max-bytes",
                "--max-body-size", "--subscriber-budget", "--transport", "--cors-origins", "--replay-batch",
                "--selector-cache", "--match-cache", "--publisher-token-cache", "--subscriber-token-cache",
                "--token-cache-ttl", "--io")) {
            assertThat(output).contains(option);
        }
        assertThat(output).contains("Default: 15s").contains("Default: 10000").contains("Default: 10m")
                .contains("Durations are a number and a unit (ms, s, m or h)");
    }
}
