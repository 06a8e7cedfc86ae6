package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.topic.Update;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class UpdateCodecTest {

    static Stream<Update> updates() {
        return Stream.of(
                new Update("urn:uuid:1", List.of("https://example.com/a"), "hello", false, null, -1),
                new Update("id", List.of("t"), "", true, "book", 0),
                new Update("é ✓ 🚀", List.of("https://example.com/é", "line\r\nbreak", "nul\0"), "multi\nline\rdata\r\n",
                        true, "type with spaces", 123_456_789_012L),
                new Update("x", List.of("a", "b", "c", "d", "e"), "x".repeat(1 << 20), false, null, -1));
    }

    @ParameterizedTest
    @MethodSource("updates")
    void roundTripsEveryField(Update u) {
        assertThat(UpdateCodec.decode(UpdateCodec.encode(u))).isEqualTo(u);
    }

    @Test
    void refusesWhatItDidNotWrite() {
        byte[] good = UpdateCodec.encode(new Update("id", List.of("t"), "data", false, null, -1));
        assertThatThrownBy(() -> UpdateCodec.decode("{\"json\":1}".getBytes())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UpdateCodec.decode(Arrays.copyOf(good, 7))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UpdateCodec.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
