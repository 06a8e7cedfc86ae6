package dev.sluice.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The paths and Mercure 0.x JSON-LD shapes of active subscriptions, checked against the spec's examples. */
class SubscriptionJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "https://example.com/{selector}|https%3A%2F%2Fexample.com%2F%7Bselector%7D",
        "urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6|urn%3Auuid%3Abb3de268-05b0-4c65-b44e-8f9acefc29d6",
        "a b+c~d_e.f-g|a%20b%2Bc~d_e.f-g",
        "café/é|caf%C3%A9%2F%C3%A9",
        "*|%2A",
        "https://example.com/a%2Fb|https%3A%2F%2Fexample.com%2Fa%252Fb",
    })
    void segmentsAreEncodedAsRfc6570SimpleExpansionAndDecodeBack(String value, String encoded) {
        assertThat(SubscriptionPaths.encode(value)).isEqualTo(encoded);
        assertThat(SubscriptionPaths.decode(encoded)).isEqualTo(value);
    }

    @ParameterizedTest
    @CsvSource({"%", "%2", "%zz", "%C3", "%FF", "é"})
    void badSegmentsDecodeToNull(String segment) {
        assertThat(SubscriptionPaths.decode(segment)).isNull();
    }

    @Test
    void theSpecsExampleSubscription() throws Exception {
        ActiveSubscription s = new ActiveSubscription("https://example.com/{selector}",
                "urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6", Map.of("foo", "bar"), true, "urn:uuid:node-1");
        assertThat(s.path()).isEqualTo("/.well-known/mercure/subscriptions/https%3A%2F%2Fexample.com%2F%7Bselector%7D/"
                + "urn%3Auuid%3Abb3de268-05b0-4c65-b44e-8f9acefc29d6");
        JsonNode event = JSON.readTree(MercureV0Json.event(s));
        assertThat(event.path("@context").asText()).isEqualTo("https://mercure.rocks/");
        assertThat(event.path("id").asText()).isEqualTo(s.path());
        assertThat(event.path("type").asText()).isEqualTo("Subscription");
        assertThat(event.path("topic").asText()).isEqualTo("https://example.com/{selector}");
        assertThat(event.path("subscriber").asText()).isEqualTo("urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6");
        assertThat(event.path("active").isBoolean()).isTrue();
        assertThat(event.path("payload").path("foo").asText()).isEqualTo("bar");
        assertThat(MercureV0Json.parseEvent(MercureV0Json.event(s))).isEqualTo(s);
        assertThat(MercureV0Json.parseEvent(MercureV0Json.event(s.ended()))).isEqualTo(s.ended());

        JsonNode one = JSON.readTree(MercureV0Json.one(s, "urn:uuid:last"));
        assertThat(one.path("lastEventID").asText()).isEqualTo("urn:uuid:last");
        assertThat(one.has("node")).as("the API shows no node").isFalse();

        JsonNode collection = JSON.readTree(MercureV0Json.collection(SubscriptionPaths.COLLECTION, "earliest", List.of(s)));
        assertThat(collection.path("type").asText()).isEqualTo("Subscriptions");
        assertThat(collection.path("id").asText()).isEqualTo("/.well-known/mercure/subscriptions");
        assertThat(collection.path("lastEventID").asText()).isEqualTo("earliest");
        assertThat(collection.path("subscriptions")).hasSize(1);
        assertThat(collection.path("subscriptions").get(0).path("id").asText()).isEqualTo(s.path());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "not json",
        "[]",
        "{\"type\":\"Subscription\",\"topic\":\"t\",\"subscriber\":\"s\",\"active\":true}",
        "{\"type\":\"Other\",\"topic\":\"t\",\"subscriber\":\"s\",\"active\":true,\"node\":\"n\"}",
        "{\"type\":\"Subscription\",\"topic\":\"t\",\"subscriber\":\"s\",\"active\":\"yes\",\"node\":\"n\"}",
    })
    void whatIsNotASubscriptionEventIsIgnored(String data) {
        assertThat(MercureV0Json.parseEvent(data)).isNull();
    }
}
