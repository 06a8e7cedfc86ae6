package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Choosing a transport: URLs, options and their errors, without any engine running. */
class TransportOptionsTest {

    @Test
    void unknownSchemesNameTheChoicesAndHidePasswords() {
        assertThatThrownBy(() -> Transports.open(Config.builder().transport("kafka://user:hunter2@host").build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--transport").hasMessageContaining("redis://").hasMessageContaining("file://")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aBadRedisUrlIsAConfigurationError() {
        assertThatThrownBy(() -> Transports.open(Config.builder().transport("redis-sentinel://s1:26379/0").build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sentinelMasterId");
        assertThatThrownBy(() -> Transports.open(Config.builder().transport("redis://:hunter2@host:99999").build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--transport")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void redisDescriptionsCarryNoCredentials() {
        try (Transport t = Transports.open(Config.builder().transport("redis://app:hunter2@db.example:6380/3")
                .redisStream("s").build())) {
            assertThat(t.describe()).isEqualTo("redis db.example:6380/3 stream s");
            assertThat(t.isReady()).as("not started").isFalse();
        }
        try (Transport t = Transports.open(Config.builder()
                .transport("redis-sentinel://:hunter2@s1:26379,s2:26379/0?sentinelMasterId=main").build())) {
            assertThat(t.describe()).contains("master 'main'").contains("s1:26379,s2:26379")
                    .doesNotContain("hunter2");
        }
    }

    @Test
    void newOptionsAreValidated() {
        assertThatThrownBy(() -> Config.builder().historyMaxAge(Duration.ofSeconds(-1)).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--history-max-age");
        assertThatThrownBy(() -> Config.builder().redisStream(" ").build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--redis-stream");
        assertThatThrownBy(() -> Config.builder().redisTimeout(Duration.ZERO).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--redis-timeout");
        Config defaults = Config.builder().build();
        assertThat(defaults.historyMaxAge()).isZero();
        assertThat(defaults.redisStream()).isEqualTo("sluice:log");
        assertThat(defaults.redisTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(defaults.fileFsync()).isTrue();
    }

    @Test
    void partitionsAreCheckedAndNeedRedisOrNats() {
        assertThatThrownBy(() -> Config.builder().partitions(0).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--partitions").hasMessageContaining("1 to 64");
        assertThatThrownBy(() -> Config.builder().partitions(65).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--partitions");
        assertThatThrownBy(() -> Config.builder().redisServers(java.util.List.of("redis://b:6379")).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--redis-server")
                .hasMessageContaining("--partitions");
        assertThatThrownBy(() -> Config.builder().partitions(2).redisServers(java.util.List.of("http://b")).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--redis-server")
                .hasMessageContaining("not a Redis URL");
        assertThatThrownBy(() -> Transports.open(Config.builder().partitions(4).build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--partitions")
                .hasMessageContaining("redis or the nats transport").hasMessageContaining("got memory");
        assertThatThrownBy(() -> Transports.open(Config.builder().transport("file:///tmp/nowhere").partitions(2).build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--partitions")
                .hasMessageContaining("memory and file transports have one log only");
        assertThatThrownBy(() -> Transports.open(Config.builder().transport("nats://127.0.0.1:4222").partitions(4)
                .redisServers(java.util.List.of("redis://b.example:6380")).build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--redis-server");
        try (Transport t = Transports.open(Config.builder().transport("nats://app:hunter2@a.example:4222")
                .partitions(4).nats(null, "S", "s.log").build())) {
            assertThat(t).isInstanceOf(PartitionedNatsTransport.class);
            assertThat(t.describe()).isEqualTo("nats://a.example:4222 (4 partitions, streams S-p0..S-p3,"
                    + " subjects s.log.p0..s.log.p3)");
            assertThat(t.isReady()).as("not started").isFalse();
        }
        assertThat(Config.builder().build().partitions()).isEqualTo(1);
        try (Transport t = Transports.open(Config.builder().transport("redis://app:hunter2@a.example:6379")
                .partitions(4).redisServers(java.util.List.of("redis://b.example:6380")).redisStream("s").build())) {
            assertThat(t.describe()).isEqualTo("redis 4 partitions over a.example:6379,b.example:6380 streams {s-p0}..{s-p3}");
            assertThat(t.isReady()).as("not started").isFalse();
        }
    }
}
