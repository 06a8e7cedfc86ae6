package dev.sluice.support;

import dev.sluice.cli.Main;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sluice serve} in a JVM of its own (the test classpath), on a free loopback port, signed
 * with {@link TestHub#SECRET}, anonymous subscribers allowed. It can be killed with SIGKILL, which
 * is what a crashed node looks like to its clients and to the log.
 */
public final class GatewayProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("Sluice listening on .*:(\\d+) ");

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();

    private GatewayProcess(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon().name("gateway-" + process.pid() + "-output").start(this::readOutput);
    }

    /** Starts the process; call {@link #awaitPort()} before using it (start several, then wait). */
    public static GatewayProcess launch(List<String> jvmOptions, String transport, String... extraArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
                "--transport", transport, "--listen", "127.0.0.1:0", "--anonymous", "--workers", "1",
                "--publisher-jwt-key", TestHub.SECRET, "--shutdown-grace", "500ms"));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
        return new GatewayProcess(pb.start());
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                output.append(line).append('\n');
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    port.complete(Integer.parseInt(m.group(1)));
                }
            }
        } catch (Exception ignored) {
            // the process is gone
        } finally {
            port.completeExceptionally(new IllegalStateException("the gateway exited before listening:\n" + output));
        }
    }

    public int awaitPort() throws Exception {
        try {
            return port.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the gateway did not start within 30 s:\n" + output, e);
        }
    }

    public URI hubUrl() throws Exception {
        return URI.create("http://127.0.0.1:" + awaitPort() + "/.well-known/mercure");
    }

    public URI url(String path) throws Exception {
        return URI.create("http://127.0.0.1:" + awaitPort() + path);
    }

    public String output() {
        return output.toString();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Sends SIGTERM (a stop request) without waiting. Not {@code Process.destroy()}, which also
     * closes this side of the output pipe, so what the process prints while it stops is lost.
     */
    public void terminate() throws java.io.IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -TERM " + process.pid() + " failed");
        }
    }

    /** Waits for the process to end; its exit code, or null if it still runs after the wait. */
    public Integer awaitExit(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    /** SIGKILL, then waits until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
