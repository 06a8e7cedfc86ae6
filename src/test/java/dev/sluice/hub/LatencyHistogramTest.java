package dev.sluice.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Which bucket an observation lands in (upper bounds are inclusive, as Prometheus' {@code le}). */
class LatencyHistogramTest {

    private static final double[] BOUNDS = {0.001, 0.01, 0.1};

    @ParameterizedTest(name = "{0} ns -> bucket {1}")
    @CsvSource({
        "0, 0",
        "1, 0",
        "1000000, 0",       // exactly 1 ms: le="0.001"
        "1000001, 1",
        "10000000, 1",
        "10000001, 2",
        "100000000, 2",
        "100000001, 3",     // +Inf
        "9000000000000, 3",
    })
    void bucketOf(long nanos, int bucket) {
        LatencyHistogram h = new LatencyHistogram(BOUNDS);
        h.record(nanos);
        long[] counts = LatencyHistogram.sum(BOUNDS, List.of(h)).counts();
        assertThat(counts).hasSize(BOUNDS.length + 1);
        for (int i = 0; i < counts.length; i++) {
            assertThat(counts[i]).as("bucket " + i).isEqualTo(i == bucket ? 1 : 0);
        }
    }

    @Test
    void loopsAreSummedBucketByBucket() {
        LatencyHistogram a = new LatencyHistogram(BOUNDS);
        LatencyHistogram b = new LatencyHistogram(BOUNDS);
        a.record(500_000);
        a.record(50_000_000);
        b.record(500_000);
        b.record(5_000_000_000L);
        LatencyHistogram.Snapshot s = LatencyHistogram.sum(BOUNDS, List.of(a, b));
        assertThat(s.counts()).containsExactly(2, 0, 1, 1);
        assertThat(s.count()).isEqualTo(4);
        assertThat(s.sumSeconds()).isCloseTo(5.051, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(s.upperBounds()).containsExactly(BOUNDS);
    }
}
