package dev.sluice.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * SSE clients nobody on this project wrote, run as Node processes against a URL: npm
 * {@code eventsource}, undici's {@code EventSource}, {@code @microsoft/fetch-event-source} and an
 * {@code eventsource-parser} reading the raw bytes. The script and its pinned packages are in
 * {@code src/test/node}; {@code npm ci} runs there the first time a test needs it.
 *
 * <p>Each client prints one JSON line per open, event, error and request (see
 * {@code client.mjs}) and stops by itself. Without node/npm the calling test is skipped with a
 * message, except with {@code CI=true}, where that is a failure.
 */
public final class NodeClients {

    /** The clients {@code client.mjs} can run. */
    public enum Client {
        EVENTSOURCE("eventsource"), UNDICI("undici"), FETCH_EVENT_SOURCE("fetch-event-source"), PARSER("parser");

        public final String arg;

        Client(String arg) {
            this.arg = arg;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of(System.getProperty("user.dir"), "src", "test", "node");
    private static String unavailable;
    private static boolean checked;

    private NodeClients() {}

    /** Skips the calling test (or fails it under CI=true) unless node and the packages are ready. */
    public static synchronized void assumeAvailable() {
        if (!checked) {
            checked = true;
            unavailable = install();
        }
        if (unavailable != null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("The Node SSE clients are required in CI: " + unavailable);
        }
        Assumptions.assumeTrue(unavailable == null, unavailable);
    }

    /** Null when ready, else why not. Runs {@code npm ci} when node_modules is missing or stale. */
    private static String install() {
        try {
            String version = run(Duration.ofSeconds(20), "node", "--version").strip();
            int[] v = Arrays.stream(version.replaceFirst("^v", "").split("\\.")).mapToInt(Integer::parseInt).toArray();
            if (v[0] < 20 || (v[0] == 20 && v[1] < 18)) {
                return "Node " + version + " is too old for undici 7: install Node 20.18 or newer";
            }
        } catch (Exception e) {
            return "node is not installed (" + e.getMessage() + "): install Node.js 20.18+ and npm";
        }
        Path lock = DIR.resolve("package-lock.json");
        Path installed = DIR.resolve("node_modules").resolve(".package-lock.json");
        try {
            if (Files.exists(installed) && sameDependencies(lock, installed)) {
                return null;
            }
            run(Duration.ofMinutes(5), "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
            return null;
        } catch (Exception e) {
            return "npm ci in " + DIR + " failed: " + e.getMessage();
        }
    }

    /** npm ci records what it installed in node_modules/.package-lock.json: compare versions. */
    private static boolean sameDependencies(Path lock, Path installed) throws IOException {
        JsonNode want = JSON.readTree(lock.toFile()).path("packages");
        JsonNode have = JSON.readTree(installed.toFile()).path("packages");
        for (var it = want.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().isEmpty()) {
                continue;
            }
            if (!e.getValue().path("version").equals(have.path(e.getKey()).path("version"))) {
                return false;
            }
        }
        return true;
    }

    private static String run(Duration limit, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within " + limit);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": " + text);
        }
        return text;
    }

    /** Starts a client; it ends by itself after {@code count} events or {@code timeout}. */
    public static Run start(Client client, URI url, int count, Duration timeout, String... extra) throws IOException {
        assumeAvailable();
        List<String> cmd = new ArrayList<>(List.of("node", "--no-warnings", "client.mjs", "--client", client.arg,
                "--url", url.toString(), "--timeout", Long.toString(timeout.toMillis())));
        if (count > 0) {
            cmd.add("--count");
            cmd.add(Integer.toString(count));
        }
        cmd.addAll(List.of(extra));
        return new Run(client, new ProcessBuilder(cmd).directory(DIR.toFile()).start(), timeout);
    }

    /** One client process and the lines it printed so far. */
    public static final class Run implements AutoCloseable {
        public final Client client;
        private final Process process;
        private final Duration timeout;
        private final List<JsonNode> lines = new ArrayList<>();
        private final StringBuilder stderr = new StringBuilder();

        private Run(Client client, Process process, Duration timeout) {
            this.client = client;
            this.process = process;
            this.timeout = timeout;
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // nothing is ever written to the client
            }
            Thread.ofVirtual().start(() -> {
                try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        JsonNode node;
                        try {
                            node = JSON.readTree(line);
                        } catch (IOException e) {
                            node = JSON.createObjectNode().put("kind", "unparsed").put("text", line);
                        }
                        synchronized (lines) {
                            lines.add(node);
                            lines.notifyAll();
                        }
                    }
                } catch (IOException ignored) {
                    // the process was ended
                }
            });
            Thread.ofVirtual().start(() -> {
                try {
                    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                    synchronized (stderr) {
                        stderr.append(err);
                    }
                } catch (IOException ignored) {
                    // the process was ended
                }
            });
        }

        /** Every line so far. */
        public List<JsonNode> lines() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        /** Lines of one kind ("event", "open", "error", "request", ...). */
        public List<JsonNode> lines(String kind) {
            return lines().stream().filter(l -> kind.equals(l.path("kind").asText())).toList();
        }

        /** Waits for a line matching the predicate; fails with everything printed so far if none comes. */
        public JsonNode await(Predicate<JsonNode> wanted, String what) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos() + TimeUnit.SECONDS.toNanos(10);
            synchronized (lines) {
                while (true) {
                    for (JsonNode l : lines) {
                        if (wanted.test(l)) {
                            return l;
                        }
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || (!process.isAlive() && lines.stream().anyMatch(l -> "done".equals(l.path("kind").asText())))) {
                        throw new AssertionError(client.arg + ": no " + what + "; it printed " + lines + describeStderr());
                    }
                    lines.wait(Math.max(1, Math.min(200, TimeUnit.NANOSECONDS.toMillis(left))));
                }
            }
        }

        public JsonNode awaitOpen() throws InterruptedException {
            return await(l -> "open".equals(l.path("kind").asText()), "open");
        }

        /** Waits for the process to end by itself (count, errors or timeout) and returns its "done" line. */
        public JsonNode awaitDone() throws InterruptedException {
            return await(l -> "done".equals(l.path("kind").asText()), "end");
        }

        /** The received events as "type|data|lastEventId" strings (null ids as ""), for exact comparisons. */
        public List<String> events() {
            return lines("event").stream()
                    .map(l -> l.path("type").asText() + "|" + l.path("data").asText() + "|"
                            + (l.path("lastEventId").isTextual() ? l.path("lastEventId").asText() : ""))
                    .toList();
        }

        private String describeStderr() {
            synchronized (stderr) {
                return stderr.isEmpty() ? "" : "; stderr: " + stderr;
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
