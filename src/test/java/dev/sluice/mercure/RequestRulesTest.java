package dev.sluice.mercure;

import static dev.sluice.support.TestHub.form;
import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Mercure 1.0 rules for the shape of subscribe and publish requests, over real sockets:
 * matcher limits and characters, exact matching without resolution or normalisation, the
 * reserved and refused publish fields, and the fields a hub must ignore.
 */
class RequestRulesTest {

    private static TestHub hub;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.subscriberJwt(TestHub.SECRET, "HS256").trustedIssuers(List.of(AccessTokens.TRUSTED)).hubUrl(AccessTokens.HUB_URL)
                .maxTopicsPerSubscription(3));
        token = "Bearer " + AccessTokens.subscriber("*");
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void matcherCountLengthAndCharactersAreCheckedWith400() throws Exception {
        HttpResponse<String> many = hub.subscribeRefused("match=a&match_exact=b&match_urlpattern=c&match=d",
                "Authorization", token);
        assertThat(many.statusCode()).isEqualTo(400);
        assertThat(many.body()).contains("Too many matcher parameters").contains("at most 3");

        HttpResponse<String> longOne = hub.subscribeRefused("match=" + "t".repeat(1025), "Authorization", token);
        assertThat(longOne.statusCode()).isEqualTo(400);
        assertThat(longOne.body()).contains("--max-topic-length");

        for (String bad : List.of("%01", "%7F", "%C2%85", "%E2%80%8B")) {
            HttpResponse<String> res = hub.subscribeRefused("match=a" + bad, "Authorization", token);
            assertThat(res.statusCode()).as(bad).isEqualTo(400);
            assertThat(res.body()).as(bad).contains("control and format characters are refused");
        }

        HttpResponse<String> notForm = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                .header("Authorization", token).header("Content-Type", "application/json")
                .method("QUERY", HttpRequest.BodyPublishers.ofString("{\"match\":\"a\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(notForm.statusCode()).isEqualTo(415);
        assertThat(notForm.body()).contains("application/x-www-form-urlencoded");
    }

    @Test
    void anExactMatcherNeitherResolvesNorNormalises() throws Exception {
        String nfc = "https://example.com/caf\u00e9";
        String nfd = "https://example.com/cafe\u0301";
        try (SseStream relative = hub.subscribe("match=" + q("/exact/a"), "Authorization", token);
             SseStream composed = hub.subscribe("match=" + q(nfc), "Authorization", token);
             SseStream lower = hub.subscribe("match=" + q("https://example.com/case"), "Authorization", token)) {
            hub.publishOk("topic", "https://hub.example/exact/a", "data", "absolute form");
            hub.publishOk("topic", "/exact/a", "data", "relative form");
            hub.publishOk("topic", nfd, "data", "decomposed");
            hub.publishOk("topic", nfc, "data", "composed");
            hub.publishOk("topic", "https://example.com/CASE", "data", "upper");
            hub.publishOk("topic", "https://example.com/case", "data", "lower");
            assertThat(relative.next().data()).isEqualTo("relative form");
            assertThat(composed.next().data()).isEqualTo("composed");
            assertThat(lower.next().data()).isEqualTo("lower");
        }
    }

    @Test
    void reservedOrInvisibleIdsAndTypesAreRefusedAndUnknownFieldsIgnored() throws Exception {
        String publisher = AccessTokens.publisher();
        HttpResponse<String> earliest = hub.publish(publisher, form("topic", "a", "id", "earliest"));
        assertThat(earliest.statusCode()).isEqualTo(400);
        assertThat(earliest.body()).contains("'earliest' is reserved");
        HttpResponse<String> formatId = hub.publish(publisher, form("topic", "a", "id", "x\u200By"));
        assertThat(formatId.statusCode()).isEqualTo(400);
        assertThat(formatId.body()).contains("id");
        HttpResponse<String> controlType = hub.publish(publisher, form("topic", "a", "type", "t\u0085"));
        assertThat(controlType.statusCode()).isEqualTo(400);
        assertThat(controlType.body()).contains("U+0085");

        String topic = "https://example.com/unknown-fields/" + System.nanoTime();
        try (SseStream s = hub.subscribe("match=" + q(topic), "Authorization", token)) {
            HttpResponse<String> res = hub.publish(publisher, form("topic", topic, "data", "kept",
                    "extension", "x", "Topic", "not a topic"));
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(s.next().data()).isEqualTo("kept");
        }
    }
}
