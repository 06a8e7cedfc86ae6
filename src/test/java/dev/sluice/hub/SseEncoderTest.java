package dev.sluice.hub;

import dev.sluice.topic.Update;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SseEncoderTest {

    private final SseEncoder encoder = new SseEncoder(PooledByteBufAllocator.DEFAULT);

    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\r", "\r");
    }

    @ParameterizedTest(name = "[{index}] data=''{0}''")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            ""                  | data:\\n
            x                   | data: x\\n
            a\\nb               | data: a\\ndata: b\\n
            a\\r\\nb            | data: a\\ndata: b\\n
            a\\rb               | data: a\\ndata: b\\n
            a\\n\\nb            | data: a\\ndata:\\ndata: b\\n
            a\\r\\rb            | data: a\\ndata:\\ndata: b\\n
            a\\n                | data: a\\ndata:\\n
            \\n                 | data:\\ndata:\\n
            \\r\\n\\r\\n        | data:\\ndata:\\ndata:\\n
            " lead"             | data:  lead\\n
            data: x             | data: data: x\\n
            """)
    void dataIsSplitOnEveryLineEnd(String data, String expected) {
        assertThat(payload(new Update("i", List.of("t"), unescape(data), false, null, -1)))
                .isEqualTo("id: i\n" + unescape(expected) + "\n");
    }

    @ParameterizedTest(name = "[{index}] type={0} retry={1}")
    @CsvSource(delimiter = '|', textBlock = """
            ''      | -1   | id: i\\ndata: d\\n\\n
            up      | -1   | id: i\\nevent: up\\ndata: d\\n\\n
            ''      | 0    | id: i\\nretry: 0\\ndata: d\\n\\n
            ev      | 1500 | id: i\\nevent: ev\\nretry: 1500\\ndata: d\\n\\n
            """)
    void optionalFields(String type, long retry, String expected) {
        assertThat(payload(new Update("i", List.of("t"), "d", false, type, retry))).isEqualTo(unescape(expected));
    }

    @ParameterizedTest(name = "[{index}] {0} bytes of data")
    @CsvSource({"0", "1", "9", "200", "4090", "70000", "1100000"})
    void chunkFramingIsExact(int size) {
        ByteBuf b = encoder.encode(new Update("id-é", List.of("t"), "é".repeat(size / 2) + "x".repeat(size % 2), false, "t", 5));
        try {
            String all = b.toString(StandardCharsets.ISO_8859_1);
            int crlf = all.indexOf("\r\n");
            int declared = Integer.parseInt(all.substring(0, crlf), 16);
            assertThat(all.length() - crlf - 2 - 2).isEqualTo(declared);
            assertThat(all).endsWith("\r\n");
            assertThat(SseEncoder.payloadLength(b)).isEqualTo(declared);
            assertThat(b.toString(SseEncoder.payloadOffset(b), declared, StandardCharsets.UTF_8)).startsWith("id: id-é\n");
        } finally {
            b.release();
        }
    }

    private String payload(Update u) {
        ByteBuf b = encoder.encode(u);
        try {
            return b.toString(SseEncoder.payloadOffset(b), SseEncoder.payloadLength(b), StandardCharsets.UTF_8);
        } finally {
            b.release();
        }
    }
}
