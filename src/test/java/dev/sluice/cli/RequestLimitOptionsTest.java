package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The request limit and timeout options: defaults, flags, environment, the older --max-topics name, checks. */
class RequestLimitOptionsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        Config c = ServeOptions.parse(Map.of());
        assertThat(c.maxUrlLength()).isEqualTo(8192);
        assertThat(c.maxHeaderSize()).isEqualTo(16384);
        assertThat(c.maxTopicsPerSubscription()).isEqualTo(100);
        assertThat(c.maxTopicsPerUpdate()).isEqualTo(100);
        assertThat(c.maxIdLength()).isEqualTo(1024);
        assertThat(c.maxTypeLength()).isEqualTo(256);
        assertThat(c.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.maxConnectionAge()).isZero();
        Config built = Config.builder().build();
        assertThat(built.maxUrlLength()).isEqualTo(c.maxUrlLength());
        assertThat(built.maxHeaderSize()).isEqualTo(c.maxHeaderSize());
        assertThat(built.maxTopicsPerUpdate()).isEqualTo(c.maxTopicsPerUpdate());
        assertThat(built.maxIdLength()).isEqualTo(c.maxIdLength());
        assertThat(built.maxTypeLength()).isEqualTo(c.maxTypeLength());
        assertThat(built.headerTimeout()).isEqualTo(c.headerTimeout());
        assertThat(built.idleTimeout()).isEqualTo(c.idleTimeout());
        assertThat(built.maxConnectionAge()).isEqualTo(c.maxConnectionAge());
    }

    @Test
    void flagsAndEnvironmentVariablesSetThem() {
        Config c = ServeOptions.parse(Map.of("SLUICE_MAX_CONNECTION_AGE", "10m", "SLUICE_IDLE_TIMEOUT", "0"),
                "--max-url-length", "4KiB", "--max-header-size", "32KiB", "--max-topics-per-update", "5",
                "--max-id-length", "64", "--max-type-length", "16", "--header-timeout", "2s");
        assertThat(c.maxUrlLength()).isEqualTo(4096);
        assertThat(c.maxHeaderSize()).isEqualTo(32768);
        assertThat(c.maxTopicsPerUpdate()).isEqualTo(5);
        assertThat(c.maxIdLength()).isEqualTo(64);
        assertThat(c.maxTypeLength()).isEqualTo(16);
        assertThat(c.headerTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.idleTimeout()).isZero();
        assertThat(c.maxConnectionAge()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void maxTopicsIsTheOlderNameOfMaxTopicsPerSubscription() {
        assertThat(ServeOptions.parse(Map.of(), "--max-topics-per-subscription", "7").maxTopicsPerSubscription())
                .isEqualTo(7);
        assertThat(ServeOptions.parse(Map.of(), "--max-topics", "8").maxTopicsPerSubscription()).isEqualTo(8);
        assertThat(ServeOptions.parse(Map.of("SLUICE_MAX_TOPICS", "9")).maxTopicsPerSubscription()).isEqualTo(9);
        assertThat(ServeOptions.parse(Map.of("SLUICE_MAX_TOPICS_PER_SUBSCRIPTION", "10", "SLUICE_MAX_TOPICS", "9"))
                .maxTopicsPerSubscription()).as("the new name wins").isEqualTo(10);
        Properties file = new Properties();
        file.setProperty("max-topics", "11");
        ServeCommand serve = new ServeCommand();
        CommandLine cli = new CommandLine(serve);
        cli.setDefaultValueProvider(new Defaults(Map.of(), file, "sluice.properties"));
        cli.parseArgs();
        assertThat(serve.toConfig().maxTopicsPerSubscription()).isEqualTo(11);
    }

    @Test
    void mistakesNameTheOption() {
        assertThatThrownBy(() -> ServeOptions.parse(Map.of(), "--max-connection-age", "500ms"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-connection-age:");
        assertThatThrownBy(() -> ServeOptions.parse(Map.of(), "--max-url-length", "100"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-url-length:");
        assertThatThrownBy(() -> ServeOptions.parse(Map.of(), "--max-topics-per-update", "0"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-topics-per-update:");
        assertThatThrownBy(() -> ServeOptions.parse(Map.of(), "--max-topics", "0"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-topics-per-subscription:");
    }

    @Test
    void helpListsThem() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new CommandLine(new ServeCommand()).usage(new PrintStream(out, true, StandardCharsets.UTF_8));
        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(help).contains("plus a random 0-10 %,");
        for (String option : new String[] {"--max-url-length", "--max-header-size", "--max-topics-per-subscription",
                "--max-topics-per-update", "--max-id-length", "--max-type-length", "--header-timeout",
                "--idle-timeout", "--max-connection-age"}) {
            assertThat(help).contains(option);
        }
    }
}
