package dev.sluice.bench.jmh;

import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
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
 * Topic selector matching: through {@link SelectorCache} (what subscription checks, replays and
 * private-update authorisation use: a Caffeine lookup per (template, topic) once warm) and
 * uncached ({@link TopicSelector#matches}: the compiled URI template's own match, what a cache
 * miss costs).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SelectorMatchBenchmark {

    @Param({"https://example.com/books/{id}", "https://example.com/{+path}{?q,lang}", "https://example.com/books/1"})
    public String selector;

    private SelectorCache cache;
    private TopicSelector compiled;
    private String[] topics;
    private int next;

    @Setup
    public void setUp() {
        cache = new SelectorCache(10_000, 200_000);
        compiled = cache.selector(selector);
        topics = new String[64];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = i % 2 == 0 ? "https://example.com/books/" + i : "https://example.com/authors/" + i + "?q=x";
        }
        for (String t : topics) {
            cache.matches(compiled, t);
        }
    }

    private String topic() {
        next = (next + 1) & 63;
        return topics[next];
    }

    @Benchmark
    public boolean cached() {
        return cache.matches(compiled, topic());
    }

    @Benchmark
    public boolean uncached() {
        return compiled.matches(topic());
    }
}
