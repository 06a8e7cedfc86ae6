package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.PrintJavaHome;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./sluice} launcher's choice of JDK, run as a user runs it. It is run from a copy
 * of the launcher whose jar is a stand-in that prints the JDK it was started with, so no build
 * happens inside the test.
 */
class LauncherTest {

    private static final Path JDK17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    @BeforeEach
    void copyLauncher() throws Exception {
        Files.createDirectories(dir.resolve(".ci"));
        Files.createDirectories(dir.resolve("target"));
        Files.copy(Path.of("sluice"), dir.resolve("sluice"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(Path.of(".ci/find-jdk.sh"), dir.resolve(".ci/find-jdk.sh"));
        Files.setPosixFilePermissions(dir.resolve("sluice"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, PrintJavaHome.class.getName());
        String entry = PrintJavaHome.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve("target/sluice.jar")), manifest);
             var in = PrintJavaHome.class.getClassLoader().getResourceAsStream(entry)) {
            jar.putNextEntry(new JarEntry(entry));
            in.transferTo(jar);
            jar.closeEntry();
        }
    }

    private Run launch(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(dir.resolve("sluice").toString(), "--version");
        pb.environment().remove("JAVA_HOME");
        pb.environment().remove("SLUICE_JAVA_OPTS");
        pb.environment().putAll(env);
        Process p = pb.start();
        try (OutputStream stdin = p.getOutputStream()) {
            // nothing to send
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void aJavaHomeThatIsTooOldIsNamedAndTheJdkUsedInsteadIsSaid() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(JDK17.resolve("bin/javac")), "no JDK 17 at " + JDK17);
        Run r = launch(Map.of("JAVA_HOME", JDK17.toString()));
        assertThat(r.exit()).as(r.err()).isZero();
        String[] ran = r.out().strip().split(" ");
        assertThat(Integer.parseInt(ran[1])).as("the JDK it ran").isGreaterThanOrEqualTo(21);
        assertThat(r.err()).contains("JAVA_HOME=" + JDK17 + " is JDK 17; Sluice needs 21 or newer, so it uses JDK");
        var said = java.util.regex.Pattern.compile("uses JDK (\\d+) at (\\S+) \\(").matcher(r.err());
        assertThat(said.find()).as(r.err()).isTrue();
        assertThat(said.group(1)).isEqualTo(ran[1]);
        assertThat(Path.of(said.group(2)).toRealPath()).isEqualTo(Path.of(ran[0]).toRealPath());
    }

    @Test
    void aJdk21OrNewerInJavaHomeIsUsedWithoutComment() throws Exception {
        Path current = Path.of(System.getProperty("java.home"));
        Assumptions.assumeTrue(Files.isExecutable(current.resolve("bin/javac")), "the test JVM is not a JDK");
        Run r = launch(Map.of("JAVA_HOME", current.toString()));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Path.of(r.out().strip().split(" ")[0]).toRealPath()).isEqualTo(current.toRealPath());
        assertThat(r.err()).doesNotContain("sluice:");
    }

    @Test
    void noSuitableJdkGivesAdviceThatWorksHere() throws Exception {
        Run r = launch(Map.of("JAVA_HOME", "/nonexistent-jdk", "SLUICE_JDK_DIRS", "/nonexistent-dir",
                "PATH", "/usr/bin:/bin"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("no JDK 21 or newer found")
                .contains("JAVA_HOME=/nonexistent-jdk has no bin/java and bin/javac (not a JDK)");
        // Only a package this machine's apt really offers may be suggested by name.
        for (int v = 21; v <= 30; v++) {
            String name = "openjdk-" + v + "-jdk-headless";
            if (r.err().contains("'apt-get install " + name + "'")) {
                Process policy = new ProcessBuilder("apt-cache", "policy", name).start();
                String candidate = new String(policy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(candidate).contains("Candidate:").doesNotContain("Candidate: (none)");
            }
        }
        assertThat(r.err()).doesNotContain("'apt-get install openjdk-21-jdk'");
    }
}
