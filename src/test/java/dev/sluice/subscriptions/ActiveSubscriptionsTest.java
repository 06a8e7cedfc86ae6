package dev.sluice.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.support.ClusterScenarios;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.NodeClients;
import dev.sluice.support.RedisServer;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Active subscriptions (Mercure 0.x) on two real gateway processes over a real redis-server:
 * subscription events reach subscribers of the subscription topic template (a JDK client and npm
 * {@code eventsource}), the API of either node lists the subscriptions of both, access needs a
 * matching {@code mercure.subscribe}, and the subscriptions of a node killed with SIGKILL end once
 * its lease runs out.
 */
@Tag("process")
class ActiveSubscriptionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEMPLATE = "/.well-known/mercure/subscriptions/{topic}/{subscriber}";
    private static final String API_SELECTOR = "/.well-known/mercure/subscriptions{/topic}{/subscriber}";
    private static final String BOOKS = "https://example.com/books/{id}";

    private static String token(List<String> subscribe, Map<String, Object> payload) throws Exception {
        Map<String, Object> mercure = new java.util.LinkedHashMap<>();
        mercure.put("subscribe", subscribe);
        if (payload != null) {
            mercure.put("payload", payload);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
                new JWTClaimsSet.Builder().claim("mercure", mercure).build());
        jwt.sign(new MACSigner(TestHub.SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private static HttpResponse<String> get(URI url, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return ClusterScenarios.HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Subscription events as JSON, waiting for one that matches. */
    private static JsonNode awaitEvent(SseReader reader, List<JsonNode> seen, Predicate<JsonNode> wanted, String what)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            for (JsonNode n : seen) {
                if (wanted.test(n)) {
                    return n;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no subscription event: " + what + "; got " + seen);
            }
            SseEvent e = reader.next(100);
            if (e != null) {
                seen.add(JSON.readTree(e.data()));
            }
        }
    }

    private static Predicate<JsonNode> event(String topic, boolean active) {
        return n -> n.path("topic").asText().equals(topic) && n.path("active").asBoolean() == active;
    }

    @Test
    void eventsAndTheApiCoverTheWholeClusterAndADeadNodesSubscriptionsExpire() throws Exception {
        try (RedisServer redis = RedisServer.start(false)) {
            List<GatewayProcess> nodes = ClusterScenarios.startNodes(2, ClusterScenarios.TEST_JVM, redis.url(),
                    "--subscriptions", "--subscription-lease", "2s");
            List<AutoCloseable> open = new ArrayList<>();
            try {
                GatewayProcess a = nodes.get(0);
                GatewayProcess b = nodes.get(1);
                String watcherToken = token(List.of(TEMPLATE), null);
                String apiToken = token(List.of(API_SELECTOR), null);

                // A watcher of every subscription event, on node B.
                SseReader watcher = ClusterScenarios.subscribe(b.hubUrl(), "topic=" + TestHub.q(TEMPLATE), watcherToken);
                List<JsonNode> seen = new ArrayList<>();
                NodeClients.Run npm = null;
                try {
                    npm = NodeClients.start(NodeClients.Client.EVENTSOURCE, URI.create(b.hubUrl() + "?topic="
                            + TestHub.q(TEMPLATE) + "&authorization=" + watcherToken), 0, Duration.ofSeconds(30),
                            "--stop-on-data", "x");
                    open.add(npm);
                    npm.awaitOpen();
                } catch (org.opentest4j.TestAbortedException e) {
                    npm = null; // no node here (outside CI): the JDK watcher still checks the events
                }

                // Alice subscribes on node A with a payload; an anonymous client on node B.
                java.io.InputStream alice = stream(a.hubUrl(), "topic=" + TestHub.q(BOOKS),
                        token(List.of("https://example.com/private/{x}"), Map.of("user", "alice")));
                JsonNode started = awaitEvent(watcher, seen, event(BOOKS, true), "alice's start");
                assertThat(started.path("@context").asText()).isEqualTo("https://mercure.rocks/");
                assertThat(started.path("type").asText()).isEqualTo("Subscription");
                assertThat(started.path("payload").path("user").asText()).isEqualTo("alice");
                String aliceId = started.path("subscriber").asText();
                assertThat(aliceId).startsWith("urn:uuid:");
                assertThat(started.path("id").asText()).isEqualTo("/.well-known/mercure/subscriptions/"
                        + "https%3A%2F%2Fexample.com%2Fbooks%2F%7Bid%7D/" + SubscriptionPaths.encode(aliceId));

                SseReader anon = ClusterScenarios.subscribe(b.hubUrl(), "topic=" + TestHub.q("https://example.com/a"), null);
                JsonNode anonStart = awaitEvent(watcher, seen, event("https://example.com/a", true), "anonymous start");
                assertThat(anonStart.has("payload")).isFalse();

                if (npm != null) {
                    // Watchers are subscriptions too: their own events are left out here.
                    NodeClients.Run run = npm;
                    run.await(l -> otherTopics(run).size() >= 2, "two subscription events");
                    assertThat(otherTopics(run)).containsExactly(BOOKS, "https://example.com/a");
                }

                // Either node lists both, with the position to continue from.
                for (GatewayProcess node : nodes) {
                    HttpResponse<String> all = get(node.url("/.well-known/mercure/subscriptions"), apiToken);
                    assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
                    assertThat(all.headers().firstValue("content-type")).hasValue("application/ld+json");
                    JsonNode doc = JSON.readTree(all.body());
                    assertThat(doc.path("type").asText()).isEqualTo("Subscriptions");
                    assertThat(doc.path("id").asText()).isEqualTo("/.well-known/mercure/subscriptions");
                    assertThat(doc.path("lastEventID").asText()).startsWith("urn:uuid:");
                    List<String> listed = new ArrayList<>();
                    doc.path("subscriptions").forEach(s -> listed.add(s.path("topic").asText()));
                    assertThat(listed).as("the watchers are listed too").contains(TEMPLATE);
                    assertThat(listed.stream().filter(t -> !t.equals(TEMPLATE)).toList())
                            .containsExactlyInAnyOrder(BOOKS, "https://example.com/a");
                }
                String bookPath = SubscriptionPaths.of(BOOKS);
                JsonNode byTopic = JSON.readTree(get(a.url(bookPath), apiToken).body());
                assertThat(byTopic.path("id").asText()).isEqualTo(bookPath);
                assertThat(byTopic.path("subscriptions")).hasSize(1);
                HttpResponse<String> one = get(b.url(SubscriptionPaths.of(BOOKS, aliceId)), apiToken);
                assertThat(one.statusCode()).isEqualTo(200);
                JsonNode oneDoc = JSON.readTree(one.body());
                assertThat(oneDoc.path("subscriber").asText()).isEqualTo(aliceId);
                assertThat(oneDoc.path("active").asBoolean()).isTrue();
                assertThat(oneDoc.path("payload").path("user").asText()).isEqualTo("alice");
                assertThat(oneDoc.has("lastEventID")).isTrue();
                assertThat(get(b.url(SubscriptionPaths.of(BOOKS, "urn:uuid:nobody")), apiToken).statusCode())
                        .isEqualTo(404);

                // Refusals: no token, a token for other topics, a malformed path, a publish on the hub's topics.
                HttpResponse<String> noToken = get(b.url("/.well-known/mercure/subscriptions"), null);
                assertThat(noToken.statusCode()).isEqualTo(401);
                assertThat(noToken.body()).contains("mercure.subscribe");
                HttpResponse<String> other = get(b.url("/.well-known/mercure/subscriptions"),
                        token(List.of("https://example.com/{x}"), null));
                assertThat(other.statusCode()).isEqualTo(403);
                assertThat(other.body()).contains("no selector matching");
                assertThat(get(b.url("/.well-known/mercure/subscriptions/%E9x"), token(List.of("*"), null)).statusCode())
                        .isEqualTo(400);
                HttpResponse<String> tooDeep = get(b.url("/.well-known/mercure/subscriptions/a/b/c"), token(List.of("*"), null));
                assertThat(tooDeep.statusCode()).isEqualTo(404);
                assertThat(tooDeep.body()).contains("/{topic}/{subscriber}");
                HttpResponse<String> forged = ClusterScenarios.publish(b.hubUrl(), "topic",
                        SubscriptionPaths.of(BOOKS, "urn:uuid:forged"), "data", "{}");
                assertThat(forged.statusCode()).isEqualTo(400);
                assertThat(forged.body()).contains("only the hub publishes to");

                // Alice leaves: her end is published, and the lists drop her.
                alice.close(); // the anonymous client on B stays
                JsonNode ended = awaitEvent(watcher, seen, event(BOOKS, false), "alice's end");
                assertThat(ended.path("subscriber").asText()).isEqualTo(aliceId);
                assertThat(get(b.url(SubscriptionPaths.of(BOOKS, aliceId)), apiToken).statusCode()).isEqualTo(404);

                // A subscription on node A, then A dies without ending it: B ends it once A's lease runs out.
                SseReader doomed = ClusterScenarios.subscribe(a.hubUrl(), "topic=" + TestHub.q("https://example.com/doomed"), null);
                awaitEvent(watcher, seen, event("https://example.com/doomed", true), "doomed start");
                a.kill();
                long killed = System.nanoTime();
                JsonNode expired = awaitEvent(watcher, seen, event("https://example.com/doomed", false), "expiry by B");
                long afterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                assertThat(afterMillis).as("not before the lease ran out").isGreaterThanOrEqualTo(1000);
                assertThat(expired.path("active").asBoolean()).isFalse();
                JsonNode left = JSON.readTree(get(b.url("/.well-known/mercure/subscriptions"), apiToken).body());
                List<String> remaining = new ArrayList<>();
                left.path("subscriptions").forEach(s -> remaining.add(s.path("topic").asText()));
                assertThat(remaining.stream().filter(t -> !t.equals(TEMPLATE)).toList())
                        .containsExactly("https://example.com/a");
                assertThat(doomed).isNotNull();
                assertThat(anon.failure).isNull();
            } finally {
                for (AutoCloseable c : open) {
                    c.close();
                }
                ClusterScenarios.closeAll(nodes);
            }
        }
    }

    /** An open stream whose body the test closes itself (the client leaving). */
    private static java.io.InputStream stream(URI hub, String query, String token) throws Exception {
        HttpResponse<java.io.InputStream> res = ClusterScenarios.HTTP.send(HttpRequest.newBuilder(URI.create(hub + "?" + query))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(res.statusCode()).isEqualTo(200);
        java.io.InputStream body = res.body();
        body.read(); // the stream is open
        return body;
    }

    private static List<String> otherTopics(NodeClients.Run run) {
        return run.lines("event").stream().map(l -> readTree(l.path("data").asText()).path("topic").asText())
                .filter(t -> !t.equals(TEMPLATE)).toList();
    }

    private static JsonNode readTree(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
