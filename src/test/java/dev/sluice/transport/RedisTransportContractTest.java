package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.Config;
import dev.sluice.support.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole transport contract on the Redis transport, against a redis-server of the test's own
 * with its append-only file on (so the log survives the engine's restart). Each test has a
 * stream of its own.
 */
class RedisTransportContractTest extends SharedLogContract {

    static RedisServer redis;
    static final AtomicInteger streams = new AtomicInteger();

    final String stream = "contract:" + streams.incrementAndGet();

    @BeforeAll
    static void startRedis() throws Exception {
        // Every write on disk before Redis answers it: the contract promises that an acknowledged
        // update survives the engine's kill -9, which Redis keeps only with fsync per write (with
        // everysec, its default, it may lose up to two seconds of acknowledged writes).
        redis = RedisServer.start(true, "--appendfsync", "always");
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected void configure(Config.Builder b) {
        // A generous command timeout: these scenarios stop Redis outright (refused at once), and a
        // loaded machine must not pass for a Redis that does not answer.
        b.transport(redis.url()).redisStream(stream).redisTimeout(Duration.ofSeconds(5));
    }

    @Override
    protected String description() {
        return "ready (redis 127.0.0.1:" + redis.port + " stream " + stream + ")";
    }

    @Override
    protected String transportUrl() {
        return redis.url();
    }

    @Override
    protected List<String> logOptions() {
        return List.of("--redis-stream", stream);
    }

    @Override
    protected void killEngine() throws Exception {
        redis.kill();
    }

    @Override
    protected void restartEngine() throws Exception {
        redis.start();
    }

    @Override
    protected String engineName() {
        return "Redis at 127.0.0.1:" + redis.port;
    }

    @Override
    protected void checkMetricsAfterOutage(String metrics) {
        assertThat(metrics).as("the log kept everything: no gap").contains("sluice_transport_log_gaps_total 0.0")
                .containsPattern("(?m)^sluice_transport_read_errors_total [1-9]");
    }
}
