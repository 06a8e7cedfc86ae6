package dev.sluice.subscriptions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;

/**
 * The Mercure 1.0 JSON shapes of active subscriptions (draft-dunglas-mercure-08, "Active
 * Subscriptions"): a subscription ({@code id} = its topic, {@code type: subscription},
 * {@code match_type}, {@code match}, {@code subscriber}, {@code active}, {@code payload}) and a
 * collection ({@code id}, {@code type: subscriptions}, {@code subscriptions}). Unlike 0.x there is
 * no {@code @context} and no cursor in the body: the API carries {@code last-event-id} on its
 * {@code Link} header. Events also carry {@code node}, as the 0.x ones do (see {@link MercureV0Json}).
 */
public final class MercureV1Json {

    /** The SSE event type of hub-generated events, reserved by Mercure 1.0. */
    public static final String EVENT_TYPE = "mercure";
    private static final ObjectMapper JSON = JsonParts.JSON;

    private MercureV1Json() {}

    public static String event(ActiveSubscription s) {
        ObjectNode o = subscription(s);
        o.put("node", s.node());
        return write(o);
    }

    public static String one(ActiveSubscription s) {
        return write(subscription(s));
    }

    public static String collection(String id, Collection<ActiveSubscription> subscriptions) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("type", "subscriptions");
        ArrayNode list = o.putArray("subscriptions");
        for (ActiveSubscription s : subscriptions) {
            list.add(subscription(s));
        }
        return write(o);
    }

    private static ObjectNode subscription(ActiveSubscription s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", s.path());
        o.put("type", "subscription");
        o.put("match_type", s.matchType());
        o.put("match", s.topic());
        o.put("subscriber", s.subscriber());
        o.put("active", s.active());
        JsonParts.putPayload(o, s);
        return o;
    }

    /** Reads a 1.0 subscription event back from the log; null when the data is not one. */
    public static ActiveSubscription parseEvent(String data) {
        JsonNode o = JsonParts.object(data);
        if (o == null || !"subscription".equals(o.path("type").asText(null))
                || !o.path("match").isTextual() || !o.path("match_type").isTextual()
                || !SubscriptionPaths.isMatchType(o.get("match_type").asText())
                || !o.path("subscriber").isTextual() || !o.path("active").isBoolean() || !o.path("node").isTextual()) {
            return null;
        }
        Object payload = JsonParts.payload(o);
        return new ActiveSubscription(o.get("match").asText(), o.get("subscriber").asText(), payload,
                o.get("active").asBoolean(), o.get("node").asText(), o.get("match_type").asText());
    }

    private static String write(ObjectNode o) {
        return JsonParts.write(o);
    }
}
