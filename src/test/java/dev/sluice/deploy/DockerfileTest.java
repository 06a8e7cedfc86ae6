package dev.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/Dockerfile cannot be built here (no registry for base images), so it is linted
 * (deploy/check/dockerfile.mjs: dockerfile-utils and the image's own rules) and what it copies
 * and runs is checked against the repository and the distribution it unpacks.
 */
class DockerfileTest {

    private static final Path DOCKERFILE = Tools.DEPLOY.resolve("Dockerfile");

    @TempDir
    Path temp;

    @Test
    void theDockerfileLintsClean() throws Exception {
        Tools.Result r = DeployChecks.run("dockerfile.mjs", DOCKERFILE);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("0 problems");
    }

    @Test
    void theLinterRefusesMistakes() throws Exception {
        String text = Files.readString(DOCKERFILE);
        Path bad = temp.resolve("Dockerfile");
        Files.writeString(bad, text.replace("USER 10001:10001", "USER root")
                .replace("EXPOSE 8080", "EXPOS 8080")
                .replace("COPY --from=build", "COPY --from=builder"));
        Tools.Result r = DeployChecks.run("dockerfile.mjs", bad);
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("Unknown instruction: EXPOS").contains("runs as root")
                .contains("COPY --from=builder names no earlier stage");
    }

    @Test
    void whatItCopiesExistsAndWhatItRunsIsInTheDistribution() throws Exception {
        String text = Files.readString(DOCKERFILE);
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(.+)$").matcher(text);
        int copies = 0;
        while (copy.find()) {
            List<String> parts = List.of(copy.group(1).trim().split("\\s+"));
            for (String source : parts.subList(0, parts.size() - 1)) {
                assertThat(Tools.ROOT.resolve(source)).as("COPY source " + source).exists();
                copies++;
            }
        }
        assertThat(copies).isGreaterThan(5);
        List<String> ignored = Files.readAllLines(Tools.ROOT.resolve(".dockerignore")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertThat(ignored).contains("target/").noneMatch(l -> l.contains("src") || l.contains("deploy"));
        // The runtime stage runs bin/sluice and bin/healthcheck of the unpacked distribution.
        assertThat(text).contains("ENTRYPOINT [\"/opt/sluice/bin/sluice\"]")
                .contains("\"/opt/sluice/bin/healthcheck\", \"http://127.0.0.1:8080/healthz\"");
        String build = Files.readString(Tools.DEPLOY.resolve("dist/build.sh"));
        assertThat(build).contains("$here/sluice\" \"$work/$name/bin/sluice\"")
                .contains("$here/healthcheck\" \"$work/$name/bin/healthcheck\"");
    }
}
