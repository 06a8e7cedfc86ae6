package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The opening of a live stream, written in place into a pooled buffer, is byte for byte the SSE
 * text it stands for, framed as a chunk (HTTP/1.1) or raw (HTTP/1.0, HTTP/2): with and without a
 * position event type, for ASCII ids, ids with multi-byte UTF-8 characters, and ids long enough
 * for a chunk size of three hex digits.
 */
class WireOpeningTest {

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "urn:uuid:5e94c686-2c0b-4f9e-b5a6-46e8e1c6e8b3, null",
            "urn:uuid:5e94c686-2c0b-4f9e-b5a6-46e8e1c6e8b3, position",
            "caf\u00e9-\u65e5\u672c-\ud83d\ude00, null",
            "caf\u00e9-\u65e5\u672c-\ud83d\ude00, pos\u00e9",
            "earliest, null"})
    void theOpeningIsTheSseTextItStandsFor(String id, String positionEvent) {
        Wire wire = new Wire(3000, 5000, 1000, positionEvent, PooledByteBufAllocator.DEFAULT);
        try {
            assertOpenings(wire, id, positionEvent);
        } finally {
            wire.release(); // its shared buffers, so the leak checks of other tests stay clean
        }
    }

    private static void assertOpenings(Wire wire, String id, String positionEvent) {
        String sse = positionEvent == null
                ? ":\nretry: 3000\nid: " + id + "\n\n"
                : ":\nretry: 3000\n\nevent: " + positionEvent + "\nid: " + id + "\ndata:\n\n";
        assertSame(wire.openingWithPosition(id, true), SseEncoder.chunk(sse));
        assertSame(wire.openingWithPosition(id, false), SseEncoder.raw(sse));
        String longId = id.repeat(40); // a payload past 255 bytes: three hex digits of chunk size
        String longSse = sse.replace(id, longId);
        ByteBuf longOpening = wire.openingWithPosition(longId, true);
        assertThat(longOpening.toString(StandardCharsets.US_ASCII)).matches("(?s)[0-9a-f]{3}\r\n.*");
        assertSame(longOpening, SseEncoder.chunk(longSse));
    }

    private static void assertSame(ByteBuf written, ByteBuf expected) {
        try {
            assertThat(ByteBufUtil.getBytes(written)).isEqualTo(ByteBufUtil.getBytes(expected));
        } finally {
            written.release();
            expected.release();
        }
    }
}
