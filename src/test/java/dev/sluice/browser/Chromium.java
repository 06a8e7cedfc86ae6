package dev.sluice.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A headless Chromium driven over the DevTools protocol with the JDK's WebSocket client: open a
 * page, evaluate JavaScript in it, get the (awaited) result as JSON.
 */
public final class Chromium implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    /** The browser binary, or null when none is installed. */
    public static Path find() {
        for (String candidate : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        return null;
    }

    public Chromium(Path binary, String url) throws Exception {
        this(binary, url, java.util.List.of());
    }

    /** A browser whose window (and screenshots) are {@code width} × {@code height} CSS pixels. */
    public Chromium(Path binary, String url, int width, int height) throws Exception {
        this(binary, url, java.util.List.of("--window-size=" + width + "," + height, "--hide-scrollbars"));
    }

    /**
     * With more command-line switches, e.g. {@code --ignore-certificate-errors-spki-list=HASH} to
     * trust a test gateway's certificate (see {@code TlsTrust.spkiSha256}). QUIC is off (a test
     * gateway's {@code Alt-Svc} would otherwise move the browser to HTTP/3 at some point during a
     * test), unless the switches force it on for an origin ({@link #forceQuic}).
     */
    public Chromium(Path binary, String url, java.util.List<String> switches) throws Exception {
        profile = Files.createTempDirectory("sluice-chromium");
        boolean quic = switches.stream().anyMatch(s -> s.startsWith("--origin-to-force-quic-on="));
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(binary.toString(), "--headless",
                "--no-sandbox", "--disable-gpu", quic ? "--enable-quic" : "--disable-quic", "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--remote-debugging-port=0", "--user-data-dir=" + profile));
        cmd.addAll(switches);
        cmd.add(url);
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IllegalStateException("Chromium did not open its DevTools port: "
                        + Files.readString(profile.resolve("chromium.log")));
            }
            Thread.sleep(50);
        }
        int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
        HttpClient http = HttpClient.newHttpClient();
        String pageSocket = null;
        while (pageSocket == null && System.nanoTime() < deadline) {
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode t : targets) {
                if ("page".equals(t.path("type").asText()) && t.path("url").asText().startsWith(url)) {
                    pageSocket = t.path("webSocketDebuggerUrl").asText();
                }
            }
            if (pageSocket == null) {
                Thread.sleep(50);
            }
        }
        if (pageSocket == null) {
            throw new IllegalStateException("Chromium did not open " + url);
        }
        socket = http.newWebSocketBuilder().buildAsync(URI.create(pageSocket), new Listener()).get(10, TimeUnit.SECONDS);
        // The target is listed before its navigation commits: wait until the page is really there.
        while (!eval("location.href + ' ' + document.readyState", Duration.ofSeconds(5)).asText()
                .equals(url + " complete")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Chromium did not finish loading " + url);
            }
            Thread.sleep(50);
        }
    }

    /**
     * The switches that make the browser speak HTTP/3 (QUIC) to {@code 127.0.0.1:port} from the
     * first request on, trusting only the certificate whose key has this SPKI hash (see
     * {@code TlsTrust.spkiSha256}).
     */
    public static java.util.List<String> forceQuic(int port, String spkiSha256) {
        return java.util.List.of("--origin-to-force-quic-on=127.0.0.1:" + port,
                "--ignore-certificate-errors-spki-list=" + spkiSha256);
    }

    /**
     * The browser binary; skips the calling test when there is none, except with {@code CI=true}
     * (where {@code ./test} installs it), where that is a failure.
     */
    public static Path require() {
        Path binary = find();
        if (binary == null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("Chromium is required in CI (the test script installs it)");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(binary != null, "Chromium is not installed: apt-get install chromium");
        return binary;
    }

    /**
     * Opens an {@code EventSource} on {@code url} (relative to the page) that records into
     * {@code window[name]}: {@code events} ({@code type}, {@code data}, {@code id} = lastEventId),
     * {@code errors}, {@code opens}; waits until it opened once. Extra event types are listened to as well.
     */
    public void openEventSource(String name, String url, String... types) throws Exception {
        StringBuilder listeners = new StringBuilder();
        for (String t : types) {
            listeners.append("es.addEventListener(").append(JSON.writeValueAsString(t)).append(", record);");
        }
        eval("""
                new Promise((resolve, reject) => {
                  const got = window[%1$s] = { events: [], errors: 0, opens: 0 };
                  const es = new EventSource(%2$s);
                  window[%1$s + '_es'] = es;
                  const record = e => got.events.push({ type: e.type, data: e.data, id: e.lastEventId });
                  es.onmessage = record;
                  %3$s
                  es.onerror = () => { got.errors++; };
                  es.onopen = () => { got.opens++; resolve(true); };
                  setTimeout(() => reject(new Error('EventSource did not open')), 10000);
                })""".formatted(JSON.writeValueAsString(name), JSON.writeValueAsString(url), listeners),
                Duration.ofSeconds(15));
    }

    /** Waits until {@code window[name]} holds at least {@code count} events; returns the record. */
    public JsonNode awaitEvents(String name, int count, Duration timeout) throws Exception {
        return eval("""
                new Promise((resolve, reject) => {
                  const started = Date.now();
                  const check = () => {
                    const got = window[%1$s];
                    if (got.events.length >= %2$d) resolve(got);
                    else if (Date.now() - started > %3$d) reject(new Error('only ' + JSON.stringify(got)));
                    else setTimeout(check, 20);
                  };
                  check();
                })""".formatted(JSON.writeValueAsString(name), count, timeout.toMillis()),
                timeout.plusSeconds(5));
    }

    /** The record of {@code window[name]} as it is now. */
    public JsonNode state(String name) throws Exception {
        return eval("window[" + JSON.writeValueAsString(name) + "]", Duration.ofSeconds(5));
    }

    /** Closes the EventSource opened under {@code name}. */
    public void closeEventSource(String name) throws Exception {
        eval("window[" + JSON.writeValueAsString(name) + " + '_es'].close(); true", Duration.ofSeconds(5));
    }

    /** Evaluates an expression in the page; promises are awaited; returns the value as JSON. */
    public JsonNode eval(String expression, Duration timeout) throws Exception {
        ObjectNode params = JSON.createObjectNode().put("expression", expression).put("awaitPromise", true)
                .put("returnByValue", true);
        JsonNode result = call("Runtime.evaluate", params, timeout);
        if (result.has("exceptionDetails")) {
            throw new AssertionError("JavaScript failed: " + result.get("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /** The page as it is drawn now, as PNG bytes. */
    public byte[] screenshot() throws Exception {
        JsonNode result = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"),
                Duration.ofSeconds(20));
        return java.util.Base64.getDecoder().decode(result.path("data").asText());
    }

    /** Sends one DevTools command to the page and returns its result. */
    private JsonNode call(String method, ObjectNode params, Duration timeout) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", params);
        synchronized (socket) { // one message at a time: the WebSocket refuses overlapping sends
            socket.sendText(JSON.writeValueAsString(msg), true).get(5, TimeUnit.SECONDS);
        }
        return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode msg = JSON.readTree(text.toString());
                    CompletableFuture<JsonNode> f = msg.has("id") ? pending.remove(msg.get("id").asInt()) : null;
                    if (f != null) {
                        f.complete(msg.path("result"));
                    }
                } catch (Exception e) {
                    pending.values().forEach(f -> f.completeExceptionally(e));
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            socket.abort();
        } finally {
            // Chromium's helper processes (network service, renderers) may outlive the browser
            // process by a moment and still write to the profile: end them all, then delete it.
            java.util.List<ProcessHandle> helpers = process.descendants().toList();
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            for (ProcessHandle h : helpers) {
                h.destroy();
                try {
                    h.onExit().get(5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    h.destroyForcibly();
                }
            }
            deleteProfile();
        }
    }

    /** Deletes the temporary profile; files that vanish meanwhile are fine, a few tries at most. */
    private void deleteProfile() throws InterruptedException {
        for (int attempt = 0; attempt < 5 && Files.exists(profile); attempt++) {
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (java.io.IOException | java.io.UncheckedIOException vanished) {
                Thread.sleep(100); // a file disappeared during the walk: walk again
            }
        }
    }
}
