package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --allow-non-ascii-ids}: off by default, on from the flag or from SLUICE_ALLOW_NON_ASCII_IDS. */
class AllowNonAsciiIdsOptionTest {

    static boolean parsed(Map<String, String> env, String... args) {
        return ServeOptions.parse(env, args).allowNonAsciiIds();
    }

    @Test
    void offByDefaultOnFromTheFlagOrTheEnvironment() {
        assertThat(parsed(Map.of())).isFalse();
        assertThat(parsed(Map.of(), "--allow-non-ascii-ids")).isTrue();
        assertThat(parsed(Map.of("SLUICE_ALLOW_NON_ASCII_IDS", "true"))).isTrue();
        assertThat(parsed(Map.of("SLUICE_ALLOW_NON_ASCII_IDS", "true"), "--no-allow-non-ascii-ids")).isFalse();
    }
}
