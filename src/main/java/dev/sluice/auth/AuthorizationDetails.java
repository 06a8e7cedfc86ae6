package dev.sluice.auth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code authorization_details} claim (RFC 9396) of a Mercure 1.0 access token, read into
 * {@link Grant}s.
 *
 * <p>Mercure's rules, which this class applies strictly: entries whose {@code type} is not the
 * Mercure type are someone else's and are ignored; a Mercure entry must have a non-empty
 * {@code actions} array of strings (unknown actions grant nothing but are allowed) and a non-empty
 * {@code topics} array of objects with a string {@code match} and an optional {@code match_type}
 * ({@code exact}, the default, or {@code urlpattern}); {@code payload}, when present, is an
 * object. Anything else in a Mercure entry refuses the whole token: acting on the remaining
 * entries would silently change what the token grants. Sizes are bounded so a token cannot make
 * the hub compile an unbounded number of patterns.
 */
public final class AuthorizationDetails {

    /** The type identifier of a Mercure authorization detail, compared byte by byte. */
    public static final String MERCURE_TYPE = "https://mercure.rocks/authorization-detail";

    /** Most Mercure authorization details one token may carry. */
    public static final int MAX_DETAILS = 64;
    /** Most topic matchers in one detail. */
    public static final int MAX_TOPICS_PER_DETAIL = 256;
    /** Longest matcher accepted in a token. */
    public static final int MAX_MATCH_LENGTH = 2048;

    /**
     * One Mercure authorization detail.
     *
     * @param actions the actions it names (only {@code publish} and {@code subscribe} mean something)
     * @param topics  what the actions apply to
     * @param payload the {@code payload} object, or null
     */
    public record Grant(Set<String> actions, List<TopicMatcher> topics, Object payload) {
        public Grant {
            actions = Collections.unmodifiableSet(new LinkedHashSet<>(actions));
            topics = List.copyOf(topics);
        }
    }

    private AuthorizationDetails() {
    }

    /**
     * Reads the claim's value as parsed JSON (null when the token has none: it grants nothing).
     *
     * @param maxMatchLength the longest matcher accepted (the hub's topic length limit)
     * @throws AuthException naming the first thing that is wrong
     */
    public static List<Grant> read(Object claim, int maxMatchLength) throws AuthException {
        if (claim == null) {
            return List.of();
        }
        if (!(claim instanceof List<?> entries)) {
            throw new AuthException("authorization_details must be a JSON array");
        }
        List<Grant> grants = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Object entry = entries.get(i);
            String where = "authorization_details[" + i + "]";
            if (!(entry instanceof Map<?, ?> detail)) {
                throw new AuthException(where + " must be a JSON object");
            }
            if (!MERCURE_TYPE.equals(detail.get("type"))) {
                if (!(detail.get("type") instanceof String)) {
                    throw new AuthException(where + ".type must be a string (RFC 9396)");
                }
                continue; // another API's grant: not ours to read
            }
            if (grants.size() == MAX_DETAILS) {
                throw new AuthException("the token carries more than " + MAX_DETAILS
                        + " Mercure authorization details");
            }
            grants.add(grant(detail, where, maxMatchLength));
        }
        return List.copyOf(grants);
    }

    private static Grant grant(Map<?, ?> detail, String where, int maxMatchLength) throws AuthException {
        if (!(detail.get("actions") instanceof List<?> actions) || actions.isEmpty()) {
            throw new AuthException(where + ".actions must be a non-empty array of strings");
        }
        Set<String> names = new LinkedHashSet<>();
        for (int a = 0; a < actions.size(); a++) {
            if (!(actions.get(a) instanceof String action)) {
                throw new AuthException(where + ".actions[" + a + "] must be a string");
            }
            names.add(action);
        }
        if (!(detail.get("topics") instanceof List<?> topics) || topics.isEmpty()) {
            throw new AuthException(where + ".topics must be a non-empty array of topic matcher objects");
        }
        if (topics.size() > MAX_TOPICS_PER_DETAIL) {
            throw new AuthException(where + ".topics has " + topics.size() + " entries; at most "
                    + MAX_TOPICS_PER_DETAIL + " are accepted");
        }
        List<TopicMatcher> matchers = new ArrayList<>(topics.size());
        for (int t = 0; t < topics.size(); t++) {
            String at = where + ".topics[" + t + "]";
            if (!(topics.get(t) instanceof Map<?, ?> topic)) {
                throw new AuthException(at + " must be an object with a 'match' member");
            }
            if (!(topic.get("match") instanceof String match) || match.isEmpty()) {
                throw new AuthException(at + ".match must be a non-empty string");
            }
            if (match.length() > maxMatchLength) {
                throw new AuthException(at + ".match is " + match.length() + " characters long; at most "
                        + maxMatchLength + " are accepted");
            }
            Object type = topic.containsKey("match_type") ? topic.get("match_type") : "exact";
            TopicMatcher.Type kind;
            if ("exact".equals(type)) {
                kind = TopicMatcher.Type.EXACT;
            } else if ("urlpattern".equals(type)) {
                kind = TopicMatcher.Type.URL_PATTERN;
            } else {
                throw new AuthException(at + ".match_type " + (type instanceof String s ? "'" + s + "'" : "of that type")
                        + " is not a matcher type this hub supports (exact, urlpattern)");
            }
            if (kind == TopicMatcher.Type.URL_PATTERN && !match.equals("*")) {
                try {
                    // Only the syntax is checked here; the hub compiles it again against its own URL.
                    dev.sluice.topic.UrlPattern.compile(match, "https://localhost/");
                } catch (dev.sluice.topic.UrlPattern.InvalidPatternException e) {
                    throw new AuthException(at + ".match is not a valid URL pattern: " + e.getMessage());
                }
            }
            matchers.add(new TopicMatcher(match, kind));
        }
        Object payload = detail.get("payload");
        if (detail.containsKey("payload") && !(payload instanceof Map<?, ?>)) {
            throw new AuthException(where + ".payload must be a JSON object");
        }
        return new Grant(names, matchers, payload);
    }
}
