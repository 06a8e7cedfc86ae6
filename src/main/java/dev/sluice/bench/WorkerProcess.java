package dev.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One worker process, coordinator side: started as {@code java <worker JVM options> -cp <this
 * program's class path> dev.sluice.bench.BenchWorker}, given its options on stdin (tokens never
 * appear on a command line), and spoken to in the protocol of {@link WorkerChannel}. Its stderr
 * goes to ours; it ends when we close its stdin, and is killed when the run ends.
 */
final class WorkerProcess {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EOF = "\u0000eof";

    private final int index;
    private final int offset;
    private final int count;
    private final Process process;
    private final PrintStream in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private volatile String error;

    private WorkerProcess(int index, int offset, int count, Process process) {
        this.index = index;
        this.offset = offset;
        this.count = count;
        this.process = process;
        this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("bench-worker-" + index).start(this::readAnswers);
    }

    /** Starts worker {@code w} of the run and sends it its options. */
    static WorkerProcess start(BenchOptions options, int w) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String o : options.workerJavaOptions().trim().split("\\s+")) {
            if (!o.isEmpty()) {
                cmd.add(o);
            }
        }
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+IgnoreUnrecognizedVMOptions");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BenchWorker.class.getName());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        WorkerProcess wp = new WorkerProcess(w, options.workerOffset(w), options.workerCount(w), p);
        wp.in.println(spec(options, w));
        wp.in.flush();
        return wp;
    }

    int index() {
        return index;
    }

    int offset() {
        return offset;
    }

    int count() {
        return count;
    }

    long pid() {
        return process.pid();
    }

    /** The worker's ERROR message, if it sent one. */
    String error() {
        return error;
    }

    /** ", exit status N" when the worker has ended, else "". */
    String exitDescription() {
        return process.isAlive() ? "" : " (it ended with status " + process.exitValue() + ")";
    }

    void send(String line) {
        in.println(line);
        in.flush();
    }

    /**
     * Waits for an answer ({@code READY}, {@code DRAINED}, {@code RESULT}) and returns what follows
     * the word; null when the worker ended, sent ERROR, the deadline passed or {@code stop} said so.
     */
    String await(String answer, long deadline, BooleanSupplier stop) {
        while (!stop.getAsBoolean() && System.nanoTime() < deadline) {
            String line;
            try {
                line = lines.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            if (line == null) {
                continue;
            }
            if (line.equals(EOF)) {
                lines.add(EOF);
                return null;
            }
            if (line.startsWith(WorkerChannel.ERROR + " ")) {
                error = line.substring(WorkerChannel.ERROR.length() + 1);
                lines.add(EOF);
                return null;
            }
            if (line.equals(answer)) {
                return "";
            }
            if (line.startsWith(answer + " ")) {
                return line.substring(answer.length() + 1);
            }
        }
        return null;
    }

    private void readAnswers() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(WorkerChannel.PREFIX)) {
                    lines.add(line.substring(WorkerChannel.PREFIX.length()));
                } else {
                    System.err.println("worker " + index + ": " + line);
                }
            }
        } catch (IOException e) {
            // the worker ended
        }
        lines.add(EOF);
    }

    /** Closes its stdin, gives it a moment to close its connections, then kills it. */
    void destroy() {
        in.close();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The options of worker {@code w}, as one JSON line. */
    static String spec(BenchOptions o, int w) {
        ObjectNode n = JSON.createObjectNode();
        var targets = n.putArray("targets");
        o.targets().forEach(t -> targets.add(t.toString()));
        n.put("scenario", o.scenario().name()).put("subscribers", o.workerCount(w))
                .put("subscriberOffset", o.workerOffset(w)).put("topics", o.topics()).put("rate", o.rate())
                .put("durationMillis", o.duration().toMillis()).put("warmupMillis", o.warmup().toMillis())
                .put("drainMillis", o.drain().toMillis())
                .put("connectRate", Math.max(1, (o.connectRate() + o.workers() - 1) / o.workers()))
                .put("payloadBytes", o.payloadBytes()).put("publisherToken", o.publisherToken())
                .put("subscriberToken", o.subscriberToken()).put("slowShare", o.slowShare())
                .put("slowReadBytesPerSecond", o.slowReadBytesPerSecond()).put("threads", o.threads())
                .put("timeLimitMillis", o.timeLimit().toMillis());
        var sources = n.putArray("sourceAddresses");
        o.workerSources(w).forEach(a -> sources.add(a.getHostAddress()));
        return n.toString();
    }

    /** Reads {@link #spec}: the options a worker runs with (no workers of its own, no gateway probes). */
    static BenchOptions parseSpec(String line) throws IOException {
        JsonNode n = JSON.readTree(line);
        List<URI> targets = new ArrayList<>();
        n.required("targets").forEach(t -> targets.add(URI.create(t.asText())));
        List<InetAddress> sources = new ArrayList<>();
        for (JsonNode a : n.required("sourceAddresses")) {
            sources.add(InetAddress.getByName(a.asText()));
        }
        return BenchOptions.builder(targets.get(0)).targets(targets)
                .scenario(BenchOptions.Scenario.valueOf(n.required("scenario").asText()))
                .subscribers(n.required("subscribers").asInt())
                .subscriberOffset(n.required("subscriberOffset").asInt())
                .topics(n.required("topics").asInt()).rate(n.required("rate").asDouble())
                .duration(Duration.ofMillis(n.required("durationMillis").asLong()))
                .warmup(Duration.ofMillis(n.required("warmupMillis").asLong()))
                .drain(Duration.ofMillis(n.required("drainMillis").asLong()))
                .connectRate(n.required("connectRate").asInt()).payloadBytes(n.required("payloadBytes").asInt())
                .publisherToken(text(n, "publisherToken")).subscriberToken(text(n, "subscriberToken"))
                .slowShare(n.required("slowShare").asDouble())
                .slowReadBytesPerSecond(n.required("slowReadBytesPerSecond").asInt())
                .threads(n.required("threads").asInt()).sourceAddresses(sources).publishConnections(1)
                .gatewayPid(-1).timeLimit(Duration.ofMillis(n.required("timeLimitMillis").asLong()))
                .build();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
