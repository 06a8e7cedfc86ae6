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
 * @param accessToken true for a Mercure 1.0 access token ({@code typ: at+jwt}), whose rights are
 *                  its {@code grants}; false for a 0.x token, whose rights are {@code publish}
 *                  and {@code subscribe}
 * @param grants    the Mercure authorization details of a 1.0 token; empty for a 0.x one
 * @param audiences the token's {@code aud} values (checked by the hub against its resource identifier
 *                  for a 1.0 token); empty when absent
 */
public record MercureClaims(
        List<String> publish, List<String> subscribe, Object payload, Instant expiresAt, String subject,
        boolean accessToken, List<AuthorizationDetails.Grant> grants, List<String> audiences) {

    /** The rights of an anonymous client: nothing to publish, public updates only. */
    public static final MercureClaims NONE = new MercureClaims(List.of(), List.of(), null, null, null);

    /** The rights of a Mercure 0.x token ({@code mercure} claim). */
    public MercureClaims(List<String> publish, List<String> subscribe, Object payload, Instant expiresAt,
                         String subject) {
        this(publish, subscribe, payload, expiresAt, subject, false, List.of(), List.of());
    }

    /** The rights of a Mercure 1.0 access token ({@code authorization_details} claim). */
    public static MercureClaims accessToken(List<AuthorizationDetails.Grant> grants, Instant expiresAt,
                                            String subject, List<String> audiences) {
        return new MercureClaims(List.of(), List.of(), null, expiresAt, subject, true, grants, audiences);
    }

    public MercureClaims {
        publish = publish == null ? List.of() : List.copyOf(publish);
        subscribe = subscribe == null ? List.of() : List.copyOf(subscribe);
        payload = freeze(payload);
        grants = grants == null ? List.of() : List.copyOf(grants);
        audiences = audiences == null ? List.of() : List.copyOf(audiences);
    }

    /** What the token may publish to, in either dialect. */
    public List<TopicMatcher> publishMatchers() {
        return matchers(publish, "publish");
    }

    /** What the token may receive private updates for, in either dialect. */
    public List<TopicMatcher> subscribeMatchers() {
        return matchers(subscribe, "subscribe");
    }

    private List<TopicMatcher> matchers(List<String> zeroX, String action) {
        List<TopicMatcher> out = new ArrayList<>();
        if (!accessToken) {
            for (String selector : zeroX) {
                out.add(new TopicMatcher(selector, TopicMatcher.Type.SELECTOR_0X));
            }
            return out;
        }
        for (AuthorizationDetails.Grant grant : grants) {
            if (grant.actions().contains(action)) {
                out.addAll(grant.topics());
            }
        }
        return out;
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
