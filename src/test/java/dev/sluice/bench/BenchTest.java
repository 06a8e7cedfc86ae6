package dev.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.TestHub;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/**
 * Every scenario of the load generator against a real gateway in this JVM, with small numbers,
 * checking that the report adds up: what was acknowledged was received exactly once, latency
 * histograms count what was received, and the gateway's own counters agree.
 */
@OnEveryIoKind
class BenchTest {

    @Parameter
    IoKind io;

    private static TestHub hub;

    @BeforeParameterizedClassInvocation
    static void start(IoKind io) throws Exception {
        // A small budget so slow readers are cut loose quickly; history large enough for them to resume.
        hub = TestHub.startIfAvailable(io, b -> b.anonymous(true).subscriberBudget(256 * 1024).historySize(20_000)
                .slowClientGrace(Duration.ofMillis(300)));
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }

    private static BenchOptions.Builder options(BenchOptions.Scenario scenario) {
        return BenchOptions.builder(URI.create("http://127.0.0.1:" + hub.gateway.port()))
                .scenario(scenario)
                .subscribers(50)
                .rate(100)
                .duration(Duration.ofSeconds(1))
                .warmup(Duration.ofMillis(300))
                .drain(Duration.ofSeconds(10))
                .threads(2)
                .publisherToken(TestHub.publisher())
                .gatewayPid(ProcessHandle.current().pid())
                .sourceAddresses(List.of(addr(1), addr(2)))
                .timeLimit(Duration.ofSeconds(60));
    }

    private static InetAddress addr(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertConsistent(BenchReport r, int subscribers) {
        assertThat(r.aborted()).isFalse();
        assertThat(r.connections().attempted()).isEqualTo(subscribers);
        assertThat(r.connections().established()).isEqualTo(subscribers);
        assertThat(r.connections().failed()).isZero();
        assertThat(r.publishes().attempted()).isEqualTo(100);
        assertThat(r.publishes().acknowledged()).isEqualTo(100);
        assertThat(r.publishes().failed()).isZero();
        assertThat(r.events().missed()).isZero();
        assertThat(r.events().duplicated()).isZero();
        assertThat(r.events().outOfOrder()).isZero();
        assertThat(r.events().received()).isEqualTo(r.events().expected());
        assertThat(r.latency().count() + r.latencySlow().count()).isEqualTo(r.events().received());
        assertThat(r.latency().p50()).isPositive().isLessThanOrEqualTo(r.latency().p99());
        assertThat(r.publishes().ackP50()).isPositive();
        assertThat(r.gateway().cpuSeconds()).isNotNegative();
        assertThat(r.gateway().rssEndKiB()).isPositive();
    }

    @Test
    void broadcastDeliversEveryAcknowledgedUpdateToEverySubscriber() throws Exception {
        BenchReport r = Bench.run(options(BenchOptions.Scenario.BROADCAST).build());
        assertConsistent(r, 50);
        assertThat(r.events().expected()).isEqualTo(50 * 100);
        // The gateway counted about as many (its loop-confined counters are read racily by /metrics).
        assertThat(r.gateway().deliveries()).isGreaterThanOrEqualTo(50 * 100 * 0.9);
        assertThat(r.toJson()).contains("\"scenario\" : \"broadcast\"");
    }

    @Test
    void topicsSpreadsSubscribersAndPublishes() throws Exception {
        BenchReport r = Bench.run(options(BenchOptions.Scenario.TOPICS).topics(5).build());
        assertConsistent(r, 50);
        // 50 subscribers over 5 topics, 100 publishes over 5 topics: each update reaches 10.
        assertThat(r.events().expected()).isEqualTo(100 * 10);
    }

    @Test
    void idleHoldsConnectionsAndReadsTheGateway() throws Exception {
        BenchReport r = Bench.run(options(BenchOptions.Scenario.IDLE).publisherToken(null).build());
        assertThat(r.aborted()).isFalse();
        assertThat(r.connections().established()).isEqualTo(50);
        assertThat(r.connections().failed()).isZero();
        assertThat(r.publishes()).isNull();
        assertThat(r.gateway().rssBytesPerConnection()).isNotNaN();
        assertThat(r.gateway().healthzOk()).isPositive();
        assertThat(r.gateway().healthzFailed()).isZero();
    }

    @Test
    void churnRunsTheGivenNumberOfCycles() throws Exception {
        BenchReport r = Bench.run(options(BenchOptions.Scenario.CHURN).publisherToken(null).subscribers(10)
                .cycles(200).duration(Duration.ofSeconds(20)).build());
        assertThat(r.aborted()).isFalse();
        assertThat(r.churn().cycles()).isEqualTo(200);
        assertThat(r.churn().failures()).isZero();
        assertThat(r.connections().attempted()).isEqualTo(200);
        assertThat(r.connections().established()).isEqualTo(200);
    }

    @Test
    void slowReadersAreCutLooseAndResumeWithoutLoss() throws Exception {
        // 100 updates of 64 KiB in a second: a reader taking 4 KiB/s falls far behind its 256 KiB budget
        // and the kernel's socket buffers; one reading at full speed does not.
        BenchReport r = Bench.run(options(BenchOptions.Scenario.SLOW).slowShare(0.2).payloadBytes(64 * 1024)
                .slowReadBytesPerSecond(4096).build());
        assertThat(r.aborted()).isFalse();
        assertThat(r.slow().slowSubscribers()).isEqualTo(10);
        assertThat(r.slow().cutLoose()).as("slow subscribers cut loose").isPositive();
        assertThat(r.slow().reconnects()).isPositive();
        assertThat(r.slow().missed()).isZero();
        assertThat(r.slow().fastMissed()).isZero();
        assertThat(r.events().duplicated()).isZero();
        assertThat(r.events().received()).isEqualTo(r.events().expected());
        assertThat(r.latency().count() + r.latencySlow().count()).isEqualTo(r.events().received());
        assertThat(r.latencySlow().count()).isPositive();
    }

    @Test
    void marketSubscribersGetEverySymbolOfTheirTemplate() throws Exception {
        // 120 symbols in groups of 50 (50, 50, 20) under three URI templates; 30 subscribers, 10 per
        // template; 100 quotes go round the symbols once, so symbols 0-99 get one each: 50 per
        // full group and none for the last. No slow readers: everyone gets everything, once.
        BenchReport r = Bench.run(options(BenchOptions.Scenario.MARKET).topics(120).subscribers(30).slowShare(0)
                .build());
        assertConsistent(r, 30);
        assertThat(r.events().expected()).isEqualTo(10 * 50 + 10 * 50);
        assertThat(r.events().unexpected()).isZero();
        assertThat(r.slow().slowSubscribers()).isZero();
        assertThat(r.toJson()).contains("\"scenario\" : \"market\"");
    }

    @Test
    void refusesNonLoopbackTargetsAndTooManySubscribers() {
        assertThatThrownBy(() -> BenchOptions.builder(URI.create("http://192.0.2.1:8080")).publisherToken("x").build()
                .validate(20_000)).hasMessageContaining("loopback");
        assertThatThrownBy(() -> options(BenchOptions.Scenario.IDLE).subscribers(5000).build().validate(1024))
                .hasMessageContaining("several bench processes");
        assertThatThrownBy(() -> options(BenchOptions.Scenario.BROADCAST).publisherToken(null).build().validate(20_000))
                .hasMessageContaining("--publisher-token");
    }
}
