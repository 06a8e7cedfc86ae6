package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.Config;
import dev.sluice.topic.Update;
import dev.sluice.support.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A node that falls behind while the stream is trimmed past its position notices it (a counted
 * gap) and goes on with the oldest entry left instead of stalling.
 */
class RedisGapTest {

    @Test
    void aTrimPastTheReadPositionIsCountedAndReadingGoesOn() throws Exception {
        try (RedisServer redis = RedisServer.start(false)) {
            Config config = Config.builder().transport(redis.url()).redisStream("gap").build();
            List<String> seen = new CopyOnWriteArrayList<>();
            CountDownLatch release = new CountDownLatch(1);
            RedisClient raw = RedisClient.create(redis.url());
            try (RedisTransport node = (RedisTransport) Transports.open(config);
                 StatefulRedisConnection<String, byte[]> other = raw.connect(
                         RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
                node.start(u -> {
                    seen.add(u.data());
                    if (u.data().equals("first")) {
                        try {
                            release.await(10, TimeUnit.SECONDS); // this node is stuck behind...
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
                node.publish(new Update("1", List.of("t"), "first", false, null, -1)).get();
                Awaitility.await().until(() -> seen.contains("first"));
                // ...while others publish and the stream keeps only the last 10 entries.
                for (int i = 0; i < 100; i++) {
                    other.sync().xadd("gap", new XAddArgs().maxlen(10).exactTrimming(), StreamEntries.fields(
                            new Update("x" + i, List.of("t"), "later " + i, false, null, -1)));
                }
                // Time must pass, not an event: the tail checks for trimmed gaps at most once a
                // second while it is not behind, so let that second run out before it reads on.
                Thread.sleep(1100);
                release.countDown();
                Awaitility.await().until(() -> seen.contains("later 99"));
                assertThat(node.logGaps()).isEqualTo(1);
                assertThat(node.missedUpdates()).as("100 added, 10 kept, 0 read").isEqualTo(90);
                assertThat(seen).containsExactly("first", "later 90", "later 91", "later 92", "later 93", "later 94",
                        "later 95", "later 96", "later 97", "later 98", "later 99");
            } finally {
                raw.shutdown();
            }
        }
    }
}
