package dev.sluice.subscriptions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** What the 0.x and 1.0 JSON shapes of subscriptions share: reading, payloads, writing. */
final class JsonParts {

    static final ObjectMapper JSON = new ObjectMapper();

    private JsonParts() {}

    /** The data as a JSON object, or null when it is not one. */
    static JsonNode object(String data) {
        try {
            JsonNode o = JSON.readTree(data);
            return o != null && o.isObject() ? o : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The {@code payload} member as plain Java values, or null when absent. */
    static Object payload(JsonNode o) {
        return o.has("payload") ? JSON.convertValue(o.get("payload"), Object.class) : null;
    }

    static void putPayload(ObjectNode o, ActiveSubscription s) {
        if (s.payload() != null) {
            o.set("payload", JSON.valueToTree(s.payload()));
        }
    }

    static String write(ObjectNode o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
