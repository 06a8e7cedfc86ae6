package dev.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Admission decides before the hub sees a request: the hub never calls it. */
class LayeringTest {

    @Test
    void theHubPackageDoesNotUseAdmission() throws IOException {
        Path hub = Path.of("src/main/java/dev/sluice/hub");
        assertThat(hub).isDirectory();
        List<Path> users;
        try (Stream<Path> files = Files.list(hub)) {
            users = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    return Files.readString(f).contains("dev.sluice.admission");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        assertThat(users).isEmpty();
    }
}
