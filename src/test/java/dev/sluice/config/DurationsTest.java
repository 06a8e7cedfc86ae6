package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one duration grammar, as a table: text, then nanoseconds or the start of the refusal. */
class DurationsTest {

    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource(delimiter = '|', value = {
        "500ms    | 500000000",
        "15s      | 15000000000",
        "1.5s     | 1500000000",
        "0.5ms    | 500000",
        "2m       | 120000000000",
        "1.25h    | 4500000000000",
        "1h       | 3600000000000",
        "0        | 0",
        "0.0      | 0",
        "0s       | 0",
        "0ms      | 0",
        "'10 S'   | 10000000000",
        "' 2M '   | 120000000000",
        "007s     | 7000000000",
        "0.000001ms | 1"})
    void accepted(String text, long nanos) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "20          | has no unit: write e.g. 20s or 20ms",
        "1.5         | has no unit",
        "-1s         | is not a duration",
        "abc         | is not a duration",
        "''          | is not a duration",
        "5d          | is not a duration",
        "1m30s       | is not a duration",
        ".5s         | is not a duration",
        "1.s         | is not a duration",
        "1,5s        | is not a duration",
        "s           | is not a duration",
        "0.0000001ms | finer than a nanosecond",
        "9999999999h | too long a duration",
        "99999999999999999999999s | too long a duration"})
    void refused(String text, String reason) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'" + text + "'").hasMessageContaining(reason);
    }
}
