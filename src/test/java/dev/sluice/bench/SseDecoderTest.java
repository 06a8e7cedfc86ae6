package dev.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client-side decoder, fed the same response cut at every possible point. */
class SseDecoderTest {

    private static final String HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            + "transfer-encoding: chunked\r\n\r\n";

    private static String chunk(String sse) {
        return Integer.toHexString(sse.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + sse + "\r\n";
    }

    private static final class Seen implements SseDecoder.Listener {
        int status;
        int comments;
        long retry = -1;
        boolean ended;
        final List<String> events = new ArrayList<>();

        @Override public void onHead(int s, String head) { status = s; }
        @Override public void onComment() { comments++; }
        @Override public void onEvent(int topic, long seq, long nanos) { events.add(topic + "/" + seq + "/" + nanos); }
        @Override public void onRetry(long ms) { retry = ms; }
        @Override public void onEnd() { ended = true; }
    }

    @Test
    void decodesTheSameStreamHoweverItIsSplit() {
        String body = chunk(":\nretry: 2000\n\n")
                + chunk("id: urn:uuid:1\ndata: 3 7 123456789 xxxx\n\n")
                + chunk("id: urn:uuid:2\r\ndata: 3 8 -5 yy\r\ndata: second line\r\n\r\n")
                + chunk("data: not-the-bench-format\n\n")
                + chunk("id: last\ndata: 0 0 1\n\n")
                + "0\r\n\r\n";
        byte[] all = (HEAD + body).getBytes(StandardCharsets.UTF_8);
        for (int cut1 = 1; cut1 < all.length; cut1 += 3) {
            for (int cut2 = cut1; cut2 < all.length; cut2 += 17) {
                Seen seen = new Seen();
                SseDecoder d = new SseDecoder(seen);
                feed(d, all, 0, cut1);
                feed(d, all, cut1, cut2);
                feed(d, all, cut2, all.length);
                assertThat(seen.status).isEqualTo(200);
                assertThat(seen.comments).isEqualTo(1);
                assertThat(seen.retry).isEqualTo(2000);
                assertThat(seen.events).containsExactly("3/7/123456789", "3/8/-5", "-1/-1/-1", "0/0/1");
                assertThat(seen.ended).isTrue();
                assertThat(d.lastEventId()).isEqualTo("last");
                d.release();
            }
        }
    }

    @Test
    void reportsAnErrorStatus() {
        Seen seen = new Seen();
        SseDecoder d = new SseDecoder(seen);
        byte[] res = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy".getBytes(StandardCharsets.US_ASCII);
        feed(d, res, 0, res.length);
        assertThat(seen.status).isEqualTo(503);
        assertThat(d.ended()).isTrue();
    }

    private static void feed(SseDecoder d, byte[] bytes, int from, int to) {
        if (from >= to) {
            return;
        }
        ByteBuf buf = Unpooled.wrappedBuffer(bytes, from, to - from);
        d.decode(buf);
        assertThat(buf.isReadable()).isFalse();
        buf.release();
    }
}
