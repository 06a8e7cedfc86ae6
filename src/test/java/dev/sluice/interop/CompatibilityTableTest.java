package dev.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.interop.CompatibilityTable.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README table made from results: layout, numbered notes, the markers, the results file. */
class CompatibilityTableTest {

    static final List<Row> RESULTS = List.of(
            new Row("curl", "HTTP/1.1", "Public", "pass", null),
            new Row("curl", "HTTP/1.1", "Reconnect", "pass", "resumed by hand"),
            new Row("Chromium", "HTTP/1.1", "Public", "pass", null),
            new Row("Chromium", "HTTP/1.1", "Reconnect", "n/a", "cannot"),
            new Row("Chromium", "h2 (TLS)", "Public", "fail", "no event\nwithin 15 s"),
            new Row("Chromium", "h2 (TLS)", "Reconnect", "pass", "resumed by hand"),
            new Row("Chromium", "h2c (prior knowledge)", CompatibilityTable.ANY, "n/a", "browsers speak HTTP/2 only over TLS"));

    @Test
    void aRowPerClientAndProtocolAColumnPerScenarioNotesNumberedInOrderOfAppearance() {
        assertThat(CompatibilityTable.render(RESULTS)).isEqualTo("""
                | Client | Protocol | Public | Reconnect |
                |---|---|:-:|:-:|
                | curl | HTTP/1.1 | ✅ | ✅<sup>1</sup> |
                | Chromium | HTTP/1.1 | ✅ | n/a<sup>2</sup> |
                | Chromium | h2 (TLS) | ❌<sup>3</sup> | ✅<sup>1</sup> |

                1. resumed by hand
                2. cannot
                3. no event within 15 s

                Not in the table, because the client does not speak the protocol:

                - Chromium, h2c (prior knowledge): browsers speak HTTP/2 only over TLS
                """);
    }

    @Test
    void theResultsFileKeepsEveryResultOnOneLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("results.tsv");
        CompatibilityTable.write(file, RESULTS);
        List<Row> back = CompatibilityTable.read(file);
        assertThat(back).hasSize(RESULTS.size());
        assertThat(back.get(4).note()).isEqualTo("no event within 15 s");
        assertThat(back.subList(0, 4)).isEqualTo(RESULTS.subList(0, 4));
        assertThat(CompatibilityTable.render(back)).isEqualTo(CompatibilityTable.render(RESULTS));
        assertThat(Files.readAllLines(file)).hasSize(RESULTS.size() + 1);
    }

    @Test
    void theTableGoesBetweenTheMarkersAndNowhereElse() {
        String readme = "# Title\n\ntext\n\n" + CompatibilityTable.BEGIN + "\nold table\n" + CompatibilityTable.END + "\n\nmore\n";
        String table = CompatibilityTable.render(RESULTS);
        String updated = CompatibilityTable.replace(readme, table);
        assertThat(CompatibilityTable.current(updated)).isEqualTo(table);
        assertThat(updated).startsWith("# Title\n\ntext\n\n").endsWith(CompatibilityTable.END + "\n\nmore\n");
        assertThat(CompatibilityTable.current(readme)).isEqualTo("old table\n");
        assertThat(CompatibilityTable.current("no markers")).isNull();
        assertThatThrownBy(() -> CompatibilityTable.replace("no markers", table)).hasMessageContaining("markers");
    }

    @Test
    void readmeHasTheMarkersOnce() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme.split(java.util.regex.Pattern.quote(CompatibilityTable.BEGIN), -1)).hasSize(2);
        assertThat(readme.split(java.util.regex.Pattern.quote(CompatibilityTable.END), -1)).hasSize(2);
    }
}
