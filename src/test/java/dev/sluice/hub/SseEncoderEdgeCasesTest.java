package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.topic.Update;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SseEncoderEdgeCasesTest {

    private final SseEncoder encoder = new SseEncoder(PooledByteBufAllocator.DEFAULT);

    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\r", "\r");
    }

    private String payload(Update u) {
        ByteBuf b = encoder.encode(u);
        try {
            return b.toString(SseEncoder.payloadOffset(b), SseEncoder.payloadLength(b), StandardCharsets.UTF_8);
        } finally {
            b.release();
        }
    }

    @ParameterizedTest(name = "[{index}] data=''{0}''")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            a\\r               | data: a\\ndata:\\n
            \\r                | data:\\ndata:\\n
            \\n\\rb            | data:\\ndata:\\ndata: b\\n
            a\\n\\r\\nb        | data: a\\ndata:\\ndata: b\\n
            \\r\\r\\n          | data:\\ndata:\\ndata:\\n
            é\\r\\nü           | data: é\\ndata: ü\\n
            """)
    void lineEndsAtTheEdgesOfThePayload(String data, String expected) {
        assertThat(payload(new Update("i", List.of("t"), unescape(data), false, null, -1)))
                .isEqualTo("id: i\n" + unescape(expected) + "\n");
    }

    @Test
    void longIdsTypesAndPayloadsAreWrittenWhole() {
        String id = "i".repeat(5000);
        String type = "t".repeat(5000);
        String data = "d".repeat(100_000);
        assertThat(payload(new Update(id, List.of("t"), "x", false, null, -1))).isEqualTo("id: " + id + "\ndata: x\n\n");
        assertThat(payload(new Update("i", List.of("t"), "x", false, type, -1)))
                .isEqualTo("id: i\nevent: " + type + "\ndata: x\n\n");
        assertThat(payload(new Update("i", List.of("t"), data, false, null, 7)))
                .isEqualTo("id: i\nretry: 7\ndata: " + data + "\n\n");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            : hi\\n\\n           | 6
            retry: 500\\n\\n     | c
            é                    | 2
            """)
    void sharedChunksAreFramedAndRawTextIsNot(String text, String hexLength) {
        String sse = unescape(text);
        ByteBuf chunk = SseEncoder.chunk(sse);
        ByteBuf raw = SseEncoder.raw(sse);
        try {
            assertThat(chunk.toString(StandardCharsets.UTF_8)).isEqualTo(hexLength + "\r\n" + sse + "\r\n");
            assertThat(raw.toString(StandardCharsets.UTF_8)).isEqualTo(sse);
            assertThat(raw.readableBytes()).isEqualTo(sse.getBytes(StandardCharsets.UTF_8).length);
        } finally {
            chunk.release();
            raw.release();
        }
    }

    @Test
    void aBigSharedChunkDeclaresItsLengthInHex() {
        String sse = ": " + "x".repeat(70_000) + "\n\n";
        ByteBuf chunk = SseEncoder.chunk(sse);
        try {
            String all = chunk.toString(StandardCharsets.US_ASCII);
            assertThat(all).startsWith(Integer.toHexString(70_004) + "\r\n").endsWith("\n\n\r\n");
            assertThat(chunk.readableBytes()).isEqualTo(Integer.toHexString(70_004).length() + 2 + 70_004 + 2);
        } finally {
            chunk.release();
        }
    }
}
