package dev.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.ClusterScenarios;
import dev.sluice.support.ClusterScenarios.FailoverResult;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.NatsServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gateway processes sharing a NATS JetStream log: cross-node delivery and a node crash. */
class NatsClusterTest {

    @Test
    void aNodeIsKilledMidRunAndItsClientsResumeElsewhereWithoutGapOrDuplicate(@TempDir Path dir) throws Exception {
        try (NatsServer nats = NatsServer.start(dir.resolve("nats"))) {
            FailoverResult r = ClusterScenarios.failover(nats.url(), ClusterScenarios.TEST_JVM, 30, 2000, 250, 800, 100);
            System.out.println("failover over NATS: " + r);
            assertThat(r.detail()).isEmpty();
            assertThat(r.lost()).isZero();
            assertThat(r.duplicated()).isZero();
            assertThat(r.outOfOrder()).isZero();
            assertThat(r.movedClients()).isEqualTo(10);
            assertThat(r.backMillis()).isBetween(0L, 10_000L);
        }
    }

    @Test
    void publishedOnOneNodeReceivedOnTheOthersWithPrivateRules(@TempDir Path dir) throws Exception {
        try (NatsServer nats = NatsServer.start(dir.resolve("nats"))) {
            List<GatewayProcess> nodes = ClusterScenarios.startNodes(3, ClusterScenarios.TEST_JVM, nats.url());
            try {
                String q = "topic=" + TestHub.q("https://example.com/books/{id}");
                SseReader anonymousB = ClusterScenarios.subscribe(nodes.get(1).hubUrl(), q, null);
                SseReader allowedC = ClusterScenarios.subscribe(nodes.get(2).hubUrl(), q,
                        TestHub.subscriber("https://example.com/books/{id}"));
                SseReader otherClaimsC = ClusterScenarios.subscribe(nodes.get(2).hubUrl(), q,
                        TestHub.subscriber("https://example.com/authors/{id}"));
                SseReader allowedA = ClusterScenarios.subscribe(nodes.get(0).hubUrl(), q,
                        TestHub.subscriber("*"));

                assertThat(ClusterScenarios.publish(nodes.get(0).hubUrl(), "topic", "https://example.com/books/1",
                        "data", "secret", "private", "on", "id", "p1").statusCode()).isEqualTo(200);
                assertThat(ClusterScenarios.publish(nodes.get(0).hubUrl(), "topic", "https://example.com/books/2",
                        "data", "public", "id", "u1", "type", "book").statusCode()).isEqualTo(200);

                assertThat(allowedC.next(10_000)).isEqualTo(new SseEvent("p1", "message", "secret", null));
                assertThat(allowedC.next(10_000)).isEqualTo(new SseEvent("u1", "book", "public", null));
                assertThat(allowedA.next(10_000).id()).isEqualTo("p1");
                assertThat(allowedA.next(10_000).id()).isEqualTo("u1");
                assertThat(anonymousB.next(10_000)).as("anonymous: public only")
                        .isEqualTo(new SseEvent("u1", "book", "public", null));
                assertThat(otherClaimsC.next(10_000)).as("claims for other topics: public only")
                        .isEqualTo(new SseEvent("u1", "book", "public", null));
                assertThat(anonymousB.next(300)).isNull();
                assertThat(otherClaimsC.next(300)).isNull();
            } finally {
                ClusterScenarios.closeAll(nodes);
            }
        }
    }
}
