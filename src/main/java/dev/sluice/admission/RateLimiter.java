package dev.sluice.admission;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.config.Rate;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;

/**
 * A token bucket per key (a client address, a token's hash), refilled at a {@link Rate} with the
 * rate's count as burst. The buckets live in a cache of at most {@code maxKeys} entries, so a
 * client that varies its key cannot grow memory; a bucket unused for a whole period is full again
 * and is dropped. An evicted bucket comes back full: the limit can only become more lenient,
 * never stricter.
 */
final class RateLimiter<K> {

    private final Rate rate;
    private final Cache<K, Bucket> buckets;

    RateLimiter(Rate rate, long maxKeys) {
        this.rate = rate;
        this.buckets = Caffeine.newBuilder().maximumSize(maxKeys).expireAfterAccess(rate.period()).build();
    }

    Rate rate() {
        return rate;
    }

    /**
     * Takes one request from {@code key}'s bucket: 0 when it may go, else the whole seconds
     * (at least 1) until a request would be let through.
     */
    long tryTake(K key) {
        Bucket bucket = buckets.get(key, k -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(rate.count()).refillGreedy(rate.count(), rate.period()).build())
                .build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return 0;
        }
        long nanos = probe.getNanosToWaitForRefill();
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Keys with a bucket now (for tests of the bound); runs pending evictions first. */
    long keys() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }
}
