package dev.sluice.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A nats-server of the test's own (JetStream on, storage in a temporary directory, a free
 * loopback port) that the test may kill, restart on the same port and storage, or pause.
 *
 * <p>Found as {@code nats-server} on the PATH, in /usr/sbin or /usr/local/bin, or at
 * {@code $NATS_SERVER}. Missing, the test is skipped, except under {@code CI=true} where it fails.
 */
public final class NatsServer extends EngineProcess {
    private final Path binary;
    private final Path storage;
    private final Path logFile;
    public final int port;

    private NatsServer(Path binary, Path storage, int port) {
        this.binary = binary;
        this.storage = storage;
        this.logFile = storage.resolve("nats-server.log");
        this.port = port;
    }

    /** Starts a server, or skips (fails under CI) the calling test when nats-server is missing. */
    public static NatsServer start(Path dir) throws Exception {
        Path binary = find();
        if (binary == null) {
            String message = "nats-server is not installed (looked on PATH, /usr/sbin, /usr/local/bin and $NATS_SERVER);"
                    + " install it (e.g. apt-get install nats-server) to run the NATS transport tests";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
        NatsServer s = new NatsServer(binary, Files.createDirectories(dir), freePort());
        s.restart();
        return s;
    }

    private static Path find() {
        String env = System.getenv("NATS_SERVER");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Path.of(env);
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : (path + ":/usr/sbin:/usr/local/bin:/usr/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nats-server"))) {
                return Path.of(dir, "nats-server");
            }
        }
        return null;
    }

    /**
     * A free port below the ephemeral range (32768 and up on Linux): while the server is down, the
     * gateways keep connecting to its port, and a port in the ephemeral range can be taken by one of
     * those very connections (a TCP self-connect), so that the restarted server could not bind it.
     */
    private static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** Starts the server (again) on the same port and storage and waits until it accepts connections. */
    public void restart() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("nats-server is running");
        }
        process = new ProcessBuilder(List.of(binary.toString(), "-js", "-a", "127.0.0.1", "-p", String.valueOf(port),
                "-sd", storage.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nats-server exited: " + Files.readString(logFile));
            }
            try (Socket ignored = new Socket()) {
                ignored.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("nats-server did not listen on " + port + " within 10 s");
    }





    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            signal("CONT"); // a paused server would not act on SIGTERM
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
