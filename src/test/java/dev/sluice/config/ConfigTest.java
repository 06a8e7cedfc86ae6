package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigTest {

    @Test
    void defaultsAreValid() {
        Config c = Config.builder().build();
        assertThat(c.listen().getPort()).isEqualTo(8080);
        assertThat(c.transport()).isEqualTo("memory");
        assertThat(c.anonymous()).isFalse();
        assertThat(c.heartbeat()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.replayBatch()).isEqualTo(256);
        assertThat(c.selectorCache()).isEqualTo(10_000);
        assertThat(c.matchCache()).isEqualTo(200_000);
        assertThat(c.publisherTokenCache()).isEqualTo(10_000);
        assertThat(c.subscriberTokenCache()).isEqualTo(50_000);
        assertThat(c.tokenCacheTtl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.positionEvent()).as("an id-only position block by default").isNull();
        assertThat(Config.builder().positionEvent("sluice-position").build().positionEvent()).isEqualTo("sluice-position");
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of((Consumer<Config.Builder>) b -> b.historySize(-1), "--history-size"),
                Arguments.of((Consumer<Config.Builder>) b -> b.historyMaxBytes(1000), "--history-max-bytes"),
                Arguments.of((Consumer<Config.Builder>) b -> b.maxBodySize(10), "--max-body-size"),
                Arguments.of((Consumer<Config.Builder>) b -> b.subscriberBudget(100), "--subscriber-budget"),
                Arguments.of((Consumer<Config.Builder>) b -> b.heartbeat(Duration.ofSeconds(-1)), "--heartbeat"),
                Arguments.of((Consumer<Config.Builder>) b -> b.retry(Duration.ZERO), "--retry"),
                Arguments.of((Consumer<Config.Builder>) b -> b.workers(0), "--workers"),
                Arguments.of((Consumer<Config.Builder>) b -> b.maxTopicsPerSubscription(0), "--max-topics-per-subscription"),
                Arguments.of((Consumer<Config.Builder>) b -> b.io("kqueue"), "--io"),
                Arguments.of((Consumer<Config.Builder>) b -> b.transport(" "), "--transport"),
                Arguments.of((Consumer<Config.Builder>) b -> b.corsOrigins(List.of("example.com")), "--cors-origins"),
                Arguments.of((Consumer<Config.Builder>) b -> b.replayBatch(0), "--replay-batch"),
                Arguments.of((Consumer<Config.Builder>) b -> b.selectorCache(-1, 10), "--selector-cache"),
                Arguments.of((Consumer<Config.Builder>) b -> b.selectorCache(10, -1), "--match-cache"),
                Arguments.of((Consumer<Config.Builder>) b -> b.tokenCache(-1, 10, Duration.ofMinutes(1)),
                        "--publisher-token-cache"),
                Arguments.of((Consumer<Config.Builder>) b -> b.tokenCache(10, -1, Duration.ofMinutes(1)),
                        "--subscriber-token-cache"),
                Arguments.of((Consumer<Config.Builder>) b -> b.tokenCache(10, 10, Duration.ofSeconds(-1)),
                        "--token-cache-ttl"),
                Arguments.of((Consumer<Config.Builder>) b -> b.positionEvent("message"), "--position-event"),
                Arguments.of((Consumer<Config.Builder>) b -> b.positionEvent("two words"), "--position-event"),
                Arguments.of((Consumer<Config.Builder>) b -> b.positionEvent("x\ndata: injected"), "--position-event"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalid")
    void invalidValuesNameTheirOption(Consumer<Config.Builder> change, String option) {
        Config.Builder b = Config.builder();
        change.accept(b);
        assertThatThrownBy(b::build).isInstanceOf(ConfigException.class).hasMessageStartingWith(option + ":")
                .extracting(e -> ((ConfigException) e).option()).isEqualTo(option);
    }
}
