package dev.sluice.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A redis-server process of the test's own, on a free loopback port, in a temporary directory, so
 * a test can kill it, pause it (SIGSTOP) and restart it on the same port and data.
 *
 * <p>When no redis-server binary is installed the test is skipped with a message, except in CI
 * ({@code CI=true}), where the binary must be there and its absence fails the test.
 */
public final class RedisServer extends EngineProcess {

    public final int port;
    public final Path dir;
    private final boolean appendOnly;
    private final String binary;
    private final List<String> extraArgs;

    private RedisServer(String binary, int port, Path dir, boolean appendOnly, List<String> extraArgs) {
        this.binary = binary;
        this.extraArgs = extraArgs;
        this.port = port;
        this.dir = dir;
        this.appendOnly = appendOnly;
    }

    /** Finds redis-server or skips (fails in CI); starts it. */
    public static RedisServer start(boolean appendOnly, String... extraArgs) throws Exception {
        String binary = findBinary();
        if (binary == null) {
            String why = "redis-server is not installed (looked on PATH and in /usr/bin, /usr/local/bin);"
                    + " install it (e.g. apt-get install redis-server) to run the Redis transport tests";
            if ("true".equals(System.getenv("CI"))) {
                fail(why + " - required in CI");
            }
            Assumptions.abort(why);
        }
        // Other programs on this machine may take a free port between our look and Redis's bind:
        // then try another one.
        for (int attempt = 1; ; attempt++) {
            RedisServer r = new RedisServer(binary, freePort(), Files.createTempDirectory("sluice-redis-"), appendOnly,
                    List.of(extraArgs));
            try {
                r.start(Duration.ofSeconds(3));
                return r;
            } catch (IllegalStateException e) {
                r.close();
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private static String findBinary() {
        List<String> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(java.io.File.pathSeparator)) {
                candidates.add(d + "/redis-server");
            }
        }
        candidates.add("/usr/bin/redis-server");
        candidates.add("/usr/local/bin/redis-server");
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        return null;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Restarts the server on the same port and directory; waits until it answers. */
    public void start() throws Exception {
        start(Duration.ofSeconds(10));
    }

    private void start(Duration patience) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--save", "", "--daemonize", "no", "--protected-mode", "no"));
        if (appendOnly) {
            cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", "everysec"));
        } else {
            cmd.addAll(List.of("--appendonly", "no"));
        }
        cmd.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile());
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            process = pb.start();
            if (awaitPing(process, deadline)) {
                return;
            }
            process.destroyForcibly().waitFor();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("redis-server did not start on port " + port + ": "
                        + Files.readString(dir.resolve("redis.log")));
            }
            Thread.sleep(200); // port still held by the previous instance; try again
        }
    }

    private boolean awaitPing(Process p, long deadline) throws InterruptedException {
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (ping()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** True when the server answers PING now. */
    public boolean ping() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] b = new byte[7];
            int n = in.readNBytes(b, 0, 7);
            return n == 7 && new String(b, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }





    @Override
    public void close() throws Exception {
        if (process != null) {
            if (process.isAlive()) {
                try {
                    resume(); // in case a test left it stopped
                } catch (Exception ignored) {
                    // it is being killed anyway
                }
            }
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
