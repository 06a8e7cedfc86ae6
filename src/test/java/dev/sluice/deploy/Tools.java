package dev.sluice.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The programs the deployment tests run (nginx, promtool, systemd-analyze, node): where they are,
 * and running one to its end. A missing program skips the calling test with what to install,
 * except in CI ({@code CI=true}), where {@code ./test} installs them and their absence fails.
 */
final class Tools {

    /** The repository's root: the tests run there. */
    static final Path ROOT = Path.of(System.getProperty("user.dir"));
    static final Path DEPLOY = ROOT.resolve("deploy");

    private Tools() {}

    /** One finished run: exit code and everything it printed (stdout and stderr together). */
    record Result(int exit, String output) {}

    /** The program's path, looked up on PATH and in the sbin folders (nginx lives in /usr/sbin). */
    static Path find(String program) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"));
        for (String d : dirs) {
            Path p = Path.of(d, program);
            if (!d.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** The program's path; skips the test (fails it in CI) when it is not installed. */
    static Path require(String program, String debianPackage) {
        Path p = find(program);
        if (p == null) {
            String why = program + " is not installed: install it (apt-get install " + debianPackage + ") to run this test";
            if ("true".equals(System.getenv("CI"))) {
                fail(why + "; ./test installs it in CI");
            }
            Assumptions.abort(why);
        }
        return p;
    }

    static Result run(Duration limit, Path dir, Map<String, String> env, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getInputStream().readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", command) + " did not finish within " + limit);
        }
        return new Result(p.exitValue(), new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }

    static Result run(Duration limit, List<String> command) throws Exception {
        return run(limit, ROOT, Map.of(), command);
    }
}
