package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each limit of the configuration at its edge: the last accepted value and the first refused one. */
class ConfigBoundsTest {

    private static Arguments edge(String option, String accepted, Consumer<Config.Builder> ok, String refused,
            Consumer<Config.Builder> bad) {
        return Arguments.of(option, accepted, ok, refused, bad);
    }

    static Stream<Arguments> edges() {
        return Stream.of(
                edge("--slow-client-policy", "conflate", b -> b.slowClientPolicy("conflate"),
                        "drop", b -> b.slowClientPolicy("drop")),
                edge("--throttle", "59m59s", b -> b.throttle(Map.of("/a", Duration.ofSeconds(3599))),
                        "1h", b -> b.throttle(Map.of("/a", Duration.ofHours(1)))),
                edge("--throttle", "1ns", b -> b.throttle(Map.of("/a", Duration.ofNanos(1))),
                        "0", b -> b.throttle(Map.of("/a", Duration.ZERO))),
                edge("--throttle", "selector x", b -> b.throttle(Map.of("x", Duration.ofSeconds(1))),
                        "negative", b -> b.throttle(Map.of("/a", Duration.ofSeconds(-1)))),
                edge("--throttle", "selector x", b -> b.throttle(Map.of("x", Duration.ofSeconds(1))),
                        "empty selector", b -> b.throttle(Map.of("", Duration.ofSeconds(1)))),
                edge("--history-size", "0", b -> b.historySize(0),
                        "-1", b -> b.historySize(-1)),
                edge("--history-max-bytes", "0 without history", b -> b.historySize(0).historyMaxBytes(0),
                        "-1 without history", b -> b.historySize(0).historyMaxBytes(-1)),
                edge("--max-body-size", "64", b -> b.maxBodySize(64),
                        "63", b -> b.maxBodySize(63)),
                edge("--history-max-bytes", "twice the body", b -> b.maxBodySize(1000).historyMaxBytes(2000),
                        "one less", b -> b.maxBodySize(1000).historyMaxBytes(1999)),
                edge("--subscriber-budget", "4096", b -> b.subscriberBudget(4096),
                        "4095", b -> b.subscriberBudget(4095)),
                edge("--heartbeat", "0", b -> b.heartbeat(Duration.ZERO),
                        "-1ns", b -> b.heartbeat(Duration.ofNanos(-1))),
                edge("--retry", "1ns", b -> b.retry(Duration.ofNanos(1)),
                        "-1ns", b -> b.retry(Duration.ofNanos(-1))),
                edge("--slow-client-retry", "0", b -> b.slowClientRetry = Duration.ZERO,
                        "-1ns", b -> b.slowClientRetry = Duration.ofNanos(-1)),
                edge("--slow-client-grace", "1ns", b -> b.slowClientGrace(Duration.ofNanos(1)),
                        "0", b -> b.slowClientGrace(Duration.ZERO)),
                edge("--slow-client-grace", "1ns", b -> b.slowClientGrace(Duration.ofNanos(1)),
                        "-1ns", b -> b.slowClientGrace(Duration.ofNanos(-1))),
                edge("--workers", "1", b -> b.workers(1),
                        "0", b -> b.workers(0)),
                edge("--workers", "256", b -> b.workers(256),
                        "257", b -> b.workers(257)),
                edge("--max-topics", "1", b -> b.maxTopicsPerSubscription(1),
                        "0", b -> b.maxTopicsPerSubscription(0)),
                edge("--max-topic-length", "16", b -> b.maxTopicLength(16),
                        "15", b -> b.maxTopicLength(15)),
                edge("--max-dispatch-queue", "1", b -> b.maxDispatchQueue(1),
                        "0", b -> b.maxDispatchQueue(0)),
                edge("--max-subscribers", "1", b -> b.maxSubscribers(1),
                        "0", b -> b.maxSubscribers(0)),
                edge("--shutdown-grace", "0", b -> b.shutdownGrace(Duration.ZERO),
                        "-1ns", b -> b.shutdownGrace(Duration.ofNanos(-1))),
                edge("--jwt-clock-skew", "0", b -> b.jwtClockSkew = Duration.ZERO,
                        "-1ns", b -> b.jwtClockSkew = Duration.ofNanos(-1)),
                edge("--io", "epoll", b -> b.io("epoll"),
                        "null", b -> b.io(null)),
                edge("--io", "nio", b -> b.io("nio"),
                        "NIO", b -> b.io("NIO")),
                edge("--transport", "redis://h", b -> b.transport("redis://h"),
                        "null", b -> b.transport(null)),
                edge("--drain-delay", "0", b -> b.drain(Duration.ZERO, Duration.ofSeconds(5)),
                        "-1ns", b -> b.drain(Duration.ofNanos(-1), Duration.ofSeconds(5))),
                edge("--drain-delay", "1h", b -> b.drain(Duration.ofHours(1), Duration.ofSeconds(5)),
                        "1h1ns", b -> b.drain(Duration.ofHours(1).plusNanos(1), Duration.ofSeconds(5))),
                edge("--drain-period", "0", b -> b.drain(Duration.ZERO, Duration.ZERO),
                        "-1ns", b -> b.drain(Duration.ZERO, Duration.ofNanos(-1))),
                edge("--drain-period", "1h", b -> b.drain(Duration.ZERO, Duration.ofHours(1)),
                        "1h1ns", b -> b.drain(Duration.ZERO, Duration.ofHours(1).plusNanos(1))),
                edge("--subscription-lease", "300ms", b -> b.subscriptionLease(Duration.ofMillis(300)),
                        "299ms", b -> b.subscriptionLease(Duration.ofMillis(299))),
                edge("--subscription-lease", "24h", b -> b.subscriptionLease(Duration.ofHours(24)),
                        "24h1ns", b -> b.subscriptionLease(Duration.ofHours(24).plusNanos(1))),
                edge("--drain-delay", "0", b -> b.drain(Duration.ZERO, Duration.ZERO),
                        "null", b -> b.drain(null, Duration.ZERO)),
                edge("--drain-period", "0", b -> b.drain(Duration.ZERO, Duration.ZERO),
                        "null", b -> b.drain(Duration.ZERO, null)),
                edge("--subscription-lease", "30s", b -> b.subscriptionLease(Duration.ofSeconds(30)),
                        "null", b -> b.subscriptionLease(null)),
                edge("--subscriptions-max", "1", b -> b.subscriptionsMax(1),
                        "0", b -> b.subscriptionsMax(0)),
                edge("--history-max-age", "0", b -> b.historyMaxAge(Duration.ZERO),
                        "-1ns", b -> b.historyMaxAge(Duration.ofNanos(-1))),
                edge("--history-max-age", "1h", b -> b.historyMaxAge(Duration.ofHours(1)),
                        "null", b -> b.historyMaxAge(null)),
                edge("--nats-stream", "My_Stream-2", b -> b.nats(null, "My_Stream-2", "a.b"),
                        "my.stream", b -> b.nats(null, "my.stream", "a.b")),
                edge("--nats-stream", "255 characters", b -> b.nats(null, "s".repeat(255), "a.b"),
                        "256 characters", b -> b.nats(null, "s".repeat(256), "a.b")),
                edge("--nats-subject", "a.b-c.d_e", b -> b.nats(null, "S", "a.b-c.d_e"),
                        "a.*", b -> b.nats(null, "S", "a.*")),
                edge("--nats-subject", "a", b -> b.nats(null, "S", "a"),
                        "a..b", b -> b.nats(null, "S", "a..b")),
                edge("--nats-subject", "a", b -> b.nats(null, "S", "a"),
                        "null", b -> b.nats(null, "S", null)),
                edge("--redis-stream", "s", b -> b.redisStream("s"),
                        "blank", b -> b.redisStream(" ")),
                edge("--redis-timeout", "10ms", b -> b.redisTimeout(Duration.ofMillis(10)),
                        "9ms", b -> b.redisTimeout(Duration.ofMillis(9))),
                edge("--cors-origins", "* and http://h:8080", b -> b.corsOrigins(List.of("*", "http://h:8080")),
                        "https://h/path", b -> b.corsOrigins(List.of("https://h/path"))));
    }

    @ParameterizedTest(name = "{0}: {1} accepted, {3} refused")
    @MethodSource("edges")
    void lastAcceptedAndFirstRefused(String option, String accepted, Consumer<Config.Builder> ok, String refused,
            Consumer<Config.Builder> bad) {
        Config.Builder good = Config.builder();
        ok.accept(good);
        good.build();
        Config.Builder wrong = Config.builder();
        bad.accept(wrong);
        assertThatThrownBy(wrong::build).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(option + ":")
                .extracting(e -> ((ConfigException) e).option()).isEqualTo(option);
    }

    @Test
    void everyBuilderSetterSetsItsComponent() {
        InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 9999);
        Config c = Config.builder()
                .listen(listen)
                .publisherJwt("p".repeat(32), "HS256")
                .subscriberJwt("s".repeat(48), "HS384")
                .anonymous(true)
                .heartbeat(Duration.ofSeconds(3))
                .historySize(7)
                .historyMaxBytes(1 << 20)
                .maxBodySize(1000)
                .subscriberBudget(5000)
                .retry(Duration.ofSeconds(4))
                .transport("file:///tmp/x")
                .corsOrigins(List.of("https://a.example"))
                .workers(3)
                .maxTopicsPerSubscription(5)
                .maxSubscribers(6)
                .maxTopicLength(100)
                .maxDispatchQueue(9)
                .io("nio")
                .conflate(List.of("/c/{x}"))
                .throttle(Map.of("/t", Duration.ofMillis(250)))
                .slowClientPolicy("conflate")
                .slowClientGrace(Duration.ofSeconds(8))
                .shutdownGrace(Duration.ofSeconds(1))
                .historyMaxAge(Duration.ofMinutes(2))
                .nats("creds.file", "STREAM", "subj.x")
                .redisStream("r:s")
                .redisTimeout(Duration.ofMillis(300))
                .fileFsync(false)
                .build();
        assertThat(c.listen()).isEqualTo(listen);
        assertThat(c.publisherJwtKey()).isEqualTo("p".repeat(32));
        assertThat(c.publisherJwtAlg()).isEqualTo("HS256");
        assertThat(c.subscriberJwtKey()).isEqualTo("s".repeat(48));
        assertThat(c.subscriberJwtAlg()).isEqualTo("HS384");
        assertThat(c.anonymous()).isTrue();
        assertThat(c.heartbeat()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.historySize()).isEqualTo(7);
        assertThat(c.historyMaxBytes()).isEqualTo(1 << 20);
        assertThat(c.maxBodySize()).isEqualTo(1000);
        assertThat(c.subscriberBudget()).isEqualTo(5000);
        assertThat(c.retry()).isEqualTo(Duration.ofSeconds(4));
        assertThat(c.transport()).isEqualTo("file:///tmp/x");
        assertThat(c.corsOrigins()).containsExactly("https://a.example");
        assertThat(c.workers()).isEqualTo(3);
        assertThat(c.maxTopicsPerSubscription()).isEqualTo(5);
        assertThat(c.maxSubscribers()).isEqualTo(6);
        assertThat(c.maxTopicLength()).isEqualTo(100);
        assertThat(c.maxDispatchQueue()).isEqualTo(9);
        assertThat(c.io()).isEqualTo("nio");
        assertThat(c.conflate()).containsExactly("/c/{x}");
        assertThat(c.throttle()).containsExactlyEntriesOf(Map.of("/t", Duration.ofMillis(250)));
        assertThat(c.slowClientPolicy()).isEqualTo("conflate");
        assertThat(c.slowClientGrace()).isEqualTo(Duration.ofSeconds(8));
        assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.historyMaxAge()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.natsCreds()).isEqualTo("creds.file");
        assertThat(c.natsStream()).isEqualTo("STREAM");
        assertThat(c.natsSubject()).isEqualTo("subj.x");
        assertThat(c.redisStream()).isEqualTo("r:s");
        assertThat(c.redisTimeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(c.fileFsync()).isFalse();
    }

    @Test
    void listsAndMapsAreCopiedAndUnmodifiable() {
        List<String> origins = new java.util.ArrayList<>(List.of("https://a.example"));
        Map<String, Duration> throttle = new java.util.LinkedHashMap<>(Map.of("/t", Duration.ofSeconds(1)));
        Config c = Config.builder().corsOrigins(origins).throttle(throttle).build();
        origins.add("https://b.example");
        throttle.put("/u", Duration.ofSeconds(2));
        assertThat(c.corsOrigins()).containsExactly("https://a.example");
        assertThat(c.throttle()).containsOnlyKeys("/t");
        assertThatThrownBy(() -> c.throttle().put("/v", Duration.ofSeconds(1)))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
