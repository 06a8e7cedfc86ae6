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

    @ParameterizedTest
    @MethodSource("updates")
    void aFileLogEntryHoldsTheRecordAfterItsTime(Update u) {
        byte[] entry = FileEntry.encode(u, 1_700_000_000_123L);
        assertThat(entry[0]).isEqualTo(FileEntry.FORMAT);
        assertThat(FileEntry.storedAt(entry)).isEqualTo(1_700_000_000_123L);
        assertThat(FileEntry.decode(entry)).isEqualTo(u);
        assertThat(Arrays.copyOfRange(entry, 9, entry.length)).as("the shared record, unchanged")
                .isEqualTo(UpdateCodec.encode(u));
    }

    @Test
    void aFileLogEntryOfAnUnknownFormatIsRefused() {
        byte[] entry = FileEntry.encode(new Update("id", List.of("t"), "data", false, null, -1), 0);
        entry[0] = 9;
        assertThatThrownBy(() -> FileEntry.decode(entry)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 9");
        assertThatThrownBy(() -> FileEntry.decode(new byte[] {2, 0, 0})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesWhatItDidNotWrite() {
        byte[] good = UpdateCodec.encode(new Update("id", List.of("t"), "data", false, null, -1));
        assertThatThrownBy(() -> UpdateCodec.decode("{\"json\":1}".getBytes())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UpdateCodec.decode(Arrays.copyOf(good, 7))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UpdateCodec.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
