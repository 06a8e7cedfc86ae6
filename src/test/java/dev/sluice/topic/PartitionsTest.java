package dev.sluice.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class PartitionsTest {

    @Test
    void aTopicBelongsToTheCrc32OfItsUtf8BytesModuloTheCount() {
        Partitions four = new Partitions(4);
        for (String topic : List.of("https://example.com/books/1", "a", "", "https://example.com/é")) {
            CRC32 crc = new CRC32();
            crc.update(topic.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(four.of(topic)).isEqualTo((int) (crc.getValue() % 4));
        }
        // Fixed values: a change of hash would move every topic of a running log.
        // CRC-32 of "https://example.com/books/1" is 386550763 (zlib.crc32, cksum -a crc32b ...).
        assertThat(new Partitions(16).of("https://example.com/books/1")).isEqualTo(386550763 % 16);
        assertThat(new Partitions(64).of("https://example.com/books/1")).isEqualTo(386550763 % 64);
        assertThat(new Partitions(64).all()).isEqualTo(-1L);
        assertThat(new Partitions(3).all()).isEqualTo(0b111L);
    }

    @Test
    void aPatternNeedsEveryPartitionExactTopicsTheirOwn() {
        Partitions p = new Partitions(8);
        SelectorCache cache = new SelectorCache(100, 100);
        String a = "https://example.com/a";
        String b = "https://example.com/b";
        assertThat(p.needed(List.of(cache.selector(a), cache.selector(b))))
                .isEqualTo((1L << p.of(a)) | (1L << p.of(b)));
        assertThat(p.needed(List.of(cache.selector(a), cache.selector("https://example.com/{x}")))).isEqualTo(0xFFL);
        assertThat(p.needed(List.of(cache.selector("*")))).isEqualTo(0xFFL);
    }

    @Test
    void aSubscriberTakesTheCopyOfTheLowestPartitionItShares() {
        long update = 0b1010; // stored in partitions 1 and 3
        assertThat(Partitions.takes(0b1000, update, 3)).isTrue();
        assertThat(Partitions.takes(0b1010, update, 1)).isTrue();
        assertThat(Partitions.takes(0b1010, update, 3)).isFalse();
        assertThat(Partitions.takes(0b0100, update, 1)).isFalse();
        assertThat(Partitions.takes(0b0100, update, 3)).isFalse();
    }

    @Test
    void positionsSurviveTheirTextFormAndStayShort() {
        long now = 1_764_500_000_000L;
        for (int n : new int[] {1, 2, 4, 16, 64}) {
            long[] millis = new long[n];
            long[] seq = new long[n];
            for (int i = 0; i < n; i++) {
                millis[i] = now - i * 37L; // busy partitions: entries a few ms apart
                seq[i] = i % 3;
            }
            if (n > 1) {
                millis[1] = Partitions.NEVER;
                seq[1] = Partitions.NEVER;
            }
            Partitions.Position at = new Partitions.Position(n - 1, millis, seq);
            String text = at.encode();
            assertThat(text).startsWith("~").matches("~[A-Za-z0-9_-]+");
            Partitions.Position back = Partitions.Position.decode(text, n);
            assertThat(back.own()).isEqualTo(n - 1);
            assertThat(back.millis()).isEqualTo(millis);
            assertThat(back.seq()).isEqualTo(seq);
            assertThat(Partitions.Position.decode(text, n + 1)).isNull();
            // Busy partitions: at most 4 bytes each, so 64 partitions stay far below --max-id-length.
            assertThat(text.length()).isLessThanOrEqualTo(1 + (8 + 4 * n) * 4 / 3 + 1);
            // Idle ones (a day apart): still within the default --max-id-length of 1024.
            long[] idle = millis.clone();
            Arrays.setAll(idle, i -> now - i * 86_400_000L / Math.max(1, n));
            assertThat(new Partitions.Position(0, idle, seq).encode().length()).isLessThan(1024);
        }
    }

    @Test
    void aPositionCoversTheEntriesUpToItsOwnInEachPartition() {
        Partitions.Position at = new Partitions.Position(0, new long[] {100, Partitions.NEVER},
                new long[] {5, Partitions.NEVER});
        assertThat(at.covers(0, 100, 5)).isTrue();
        assertThat(at.covers(0, 99, 9)).isTrue();
        assertThat(at.covers(0, 100, 6)).isFalse();
        assertThat(at.covers(0, 101, 0)).isFalse();
        assertThat(at.covers(1, 0, 0)).isFalse();
    }

    /**
     * A position of the nats transport: stream creation times as millis (streams created a few ms
     * apart), stream sequences as seq. Compact, compared by sequence within a stream, and a
     * stream created anew (later creation time, sequences from 1) is after it.
     */
    @Test
    void natsPositionsCompareByStreamSequenceAndAStreamCreatedAnewComesAfterThem() {
        long created = 1_764_500_000_000L;
        long[] millis = {created, created + 3, created + 9, Partitions.NEVER};
        long[] seq = {1_000_000, 7, 2_000_000, Partitions.NEVER};
        Partitions.Position at = new Partitions.Position(2, millis, seq);
        String text = at.encode();
        Partitions.Position back = Partitions.Position.decode(text, 4);
        assertThat(back.millis()).isEqualTo(millis);
        assertThat(back.seq()).isEqualTo(seq);
        // 8 bytes (count, own, base), then 1 + 3, 1 + 1, 1 + 3 and 1 (never read): 19 bytes.
        assertThat(text).hasSize(1 + 26);
        assertThat(at.covers(0, created, 999_999)).isTrue();
        assertThat(at.covers(0, created, 1_000_000)).isTrue();
        assertThat(at.covers(0, created, 1_000_001)).isFalse();
        assertThat(at.covers(1, created + 3, 8)).isFalse();
        assertThat(at.covers(0, created + 60_000, 1)).as("a stream created anew").isFalse();
        assertThat(at.key(0)).isEqualTo("0:" + created + "-1000000");
    }

    @Test
    void otherTextIsNoPosition() {
        for (String s : List.of("", "~", "urn:uuid:0190", "~!!", "~AAAA", "earliest")) {
            assertThat(Partitions.Position.decode(s, 4)).as(s).isNull();
        }
        assertThat(Partitions.Position.decode(null, 4)).isNull();
    }
}
