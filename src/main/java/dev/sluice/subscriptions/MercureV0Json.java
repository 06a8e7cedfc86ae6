package dev.sluice.subscriptions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;

/**
 * The Mercure 0.x JSON-LD shapes of active subscriptions (spec at v0.24.x, "Active
 * Subscriptions"): a subscription ({@code @context}, {@code id}, {@code type: Subscription},
 * {@code topic}, {@code subscriber}, {@code active}, {@code payload}), a collection
 * ({@code type: Subscriptions}, {@code subscriptions}), and {@code lastEventID} at the root of
 * every API answer. A subscription event also carries {@code node}, the gateway that holds the
 * stream (an extra property, which the spec allows): it is how the other nodes of a cluster keep
 * their lists and expire the subscriptions of a node that died.
 *
 * <p>Only rendering and parsing live here; the model is {@link ActiveSubscription}, so another
 * dialect's shapes are another class beside this one.
 */
public final class MercureV0Json {

    static final String CONTEXT = "https://mercure.rocks/";
    private static final ObjectMapper JSON = JsonParts.JSON;

    private MercureV0Json() {}

    /** The data of a subscription event. */
    public static String event(ActiveSubscription s) {
        ObjectNode o = subscription(s, true);
        o.put("node", s.node());
        return write(o);
    }

    /** One subscription, as {@code GET .../{topic}/{subscriber}} answers it. */
    public static String one(ActiveSubscription s, String lastEventId) {
        ObjectNode o = subscription(s, true);
        o.put("lastEventID", lastEventId);
        return write(o);
    }

    /** A collection, as {@code GET /.well-known/mercure/subscriptions[/{topic}]} answers it. */
    public static String collection(String id, String lastEventId, Collection<ActiveSubscription> subscriptions) {
        ObjectNode o = JSON.createObjectNode();
        o.put("@context", CONTEXT);
        o.put("id", id);
        o.put("type", "Subscriptions");
        o.put("lastEventID", lastEventId);
        ArrayNode list = o.putArray("subscriptions");
        for (ActiveSubscription s : subscriptions) {
            list.add(subscription(s, false));
        }
        return write(o);
    }

    private static ObjectNode subscription(ActiveSubscription s, boolean withContext) {
        ObjectNode o = JSON.createObjectNode();
        if (withContext) {
            o.put("@context", CONTEXT);
        }
        o.put("id", s.path());
        o.put("type", "Subscription");
        o.put("topic", s.topic());
        o.put("subscriber", s.subscriber());
        o.put("active", s.active());
        JsonParts.putPayload(o, s);
        return o;
    }

    /**
     * Reads a subscription event back from the log; null when the data is not one (anything
     * published on these topics by someone else is ignored).
     */
    public static ActiveSubscription parseEvent(String data) {
        JsonNode o = JsonParts.object(data);
        if (o == null || !"Subscription".equals(o.path("type").asText(null))
                || !o.path("topic").isTextual() || !o.path("subscriber").isTextual()
                || !o.path("active").isBoolean() || !o.path("node").isTextual()) {
            return null;
        }
        Object payload = JsonParts.payload(o);
        return new ActiveSubscription(o.get("topic").asText(), o.get("subscriber").asText(), payload,
                o.get("active").asBoolean(), o.get("node").asText());
    }

    private static String write(ObjectNode o) {
        return JsonParts.write(o);
    }
}
