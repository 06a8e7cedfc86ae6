package dev.sluice.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * The Node checks of {@code deploy/check}: {@code k8s.mjs} validates Kubernetes manifests against
 * the API's schemas and object models, {@code dockerfile.mjs} lints a Dockerfile. Their pinned
 * packages are installed with {@code npm ci} the first time a test needs them. Without node and
 * npm the calling test is skipped, except in CI, where that fails.
 */
final class DeployChecks {

    static final Path DIR = Tools.DEPLOY.resolve("check");
    private static String unavailable;
    private static boolean checked;

    private DeployChecks() {}

    static synchronized void assumeAvailable() throws Exception {
        if (!checked) {
            checked = true;
            unavailable = install();
        }
        if (unavailable != null && "true".equals(System.getenv("CI"))) {
            fail("The deployment checks need node and npm in CI: " + unavailable);
        }
        Assumptions.assumeTrue(unavailable == null, unavailable);
    }

    private static String install() throws Exception {
        if (Tools.find("node") == null || Tools.find("npm") == null) {
            return "node and npm are not installed: install Node.js 20.18+ and npm";
        }
        Path installed = DIR.resolve("node_modules/.package-lock.json");
        if (Files.exists(installed) && Files.getLastModifiedTime(installed)
                .compareTo(Files.getLastModifiedTime(DIR.resolve("package-lock.json"))) >= 0) {
            return null;
        }
        Tools.Result r = Tools.run(Duration.ofMinutes(5), DIR, Map.of(),
                List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"));
        return r.exit() == 0 ? null : "npm ci in " + DIR + " failed: " + r.output();
    }

    /** Runs a check script of deploy/check on the given files. */
    static Tools.Result run(String script, Path... files) throws Exception {
        assumeAvailable();
        List<String> cmd = new ArrayList<>(List.of("node", "--no-warnings", script));
        Arrays.stream(files).map(f -> f.toAbsolutePath().toString()).forEach(cmd::add);
        return Tools.run(Duration.ofMinutes(2), DIR, Map.of(), cmd);
    }
}
