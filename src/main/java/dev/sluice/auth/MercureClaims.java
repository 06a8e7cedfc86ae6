package dev.sluice.auth;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a verified token allows: the topic selectors its bearer may publish to, the selectors for
 * which it may receive private updates, and the optional {@code mercure.payload}. Instances are
 * deeply immutable, so they can be shared between threads and cached with a subscription.
 *
 * @param publish   topic selectors from {@code mercure.publish}; empty when absent
 * @param subscribe topic selectors from {@code mercure.subscribe}; empty when absent
 * @param payload   {@code mercure.payload} as parsed JSON (Map, List, String, Number, Boolean), or
 *                  null when absent; maps and lists are unmodifiable copies
 * @param expiresAt the token's {@code exp}, or null when it never expires
 * @param subject   the token's {@code sub}, or null
 */
public record MercureClaims(
        List<String> publish, List<String> subscribe, Object payload, Instant expiresAt, String subject) {

    /** The rights of an anonymous client: nothing to publish, public updates only. */
    public static final MercureClaims NONE = new MercureClaims(List.of(), List.of(), null, null, null);

    public MercureClaims {
        publish = publish == null ? List.of() : List.copyOf(publish);
        subscribe = subscribe == null ? List.of() : List.copyOf(subscribe);
        payload = freeze(payload);
    }

    // JSON may hold nulls inside objects and arrays, which List.copyOf/Map.copyOf reject, hence the
    // unmodifiable wrappers around private copies.
    private static Object freeze(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(k, freeze(v)));
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(v -> copy.add(freeze(v)));
            return Collections.unmodifiableList(copy);
        }
        return value;
    }
}
