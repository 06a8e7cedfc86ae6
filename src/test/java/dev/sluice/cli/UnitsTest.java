package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class UnitsTest {

    @ParameterizedTest
    @CsvSource({"15s, 15000", "500ms, 500", "2m, 120000", "1h, 3600000", "0, 0", "0ms, 0", "10 S, 10000", "1.5s, 1500"})
    void durations(String text, long millis) {
        assertThat(Units.duration(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"15", "abc", "-1s", "1.5", "", "5d"})
    void badDurations(String text) {
        assertThatThrownBy(() -> Units.duration(text)).isInstanceOf(TypeConversionException.class).hasMessageContaining(text);
    }

    @ParameterizedTest
    @CsvSource({"1048576, 1048576", "512KiB, 524288", "64MiB, 67108864", "1GiB, 1073741824", "1k, 1024", "2MB, 2097152", "7B, 7"})
    void sizes(String text, long bytes) {
        assertThat(Units.bytes(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "-5", "1TiB", "99999999999999999999GiB"})
    void badSizes(String text) {
        assertThatThrownBy(() -> Units.bytes(text)).isInstanceOf(TypeConversionException.class);
    }

    @ParameterizedTest
    @CsvSource({"--history-size, SLUICE_HISTORY_SIZE", "--publisher-jwt-key, SLUICE_PUBLISHER_JWT_KEY", "--io, SLUICE_IO"})
    void environmentNames(String option, String env) {
        assertThat(Defaults.envName(option)).isEqualTo(env);
    }
}
