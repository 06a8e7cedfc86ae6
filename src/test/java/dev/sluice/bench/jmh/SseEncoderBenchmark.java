package dev.sluice.bench.jmh;

import dev.sluice.hub.SseEncoder;
import dev.sluice.topic.Update;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link SseEncoder#encode}: one update to its chunk-framed SSE bytes, the once-per-publish cost
 * of the encode-once design. The pooled buffer is released in the same operation, as the hub's
 * history eventually does, so the pool is exercised as in the gateway.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SseEncoderBenchmark {

    /** small: a 100-byte one-line payload; 4KiB: 4096 bytes; 4KiB-lines: 4096 bytes in 64 lines. */
    @Param({"small", "4KiB", "4KiB-lines"})
    public String payload;

    private SseEncoder encoder;
    private Update update;

    @Setup
    public void setUp() {
        encoder = new SseEncoder(PooledByteBufAllocator.DEFAULT);
        String data = switch (payload) {
            case "small" -> "x".repeat(100);
            case "4KiB" -> "y".repeat(4096);
            default -> ("z".repeat(63) + "\n").repeat(64);
        };
        update = new Update("urn:uuid:0193f0c2-7a0e-7000-8000-000000000001",
                List.of("https://example.com/books/1"), data, false, null, -1);
    }

    @Benchmark
    public int encode() {
        ByteBuf chunk = encoder.encode(update);
        int n = chunk.readableBytes();
        chunk.release();
        return n;
    }
}
