package dev.sluice.edge;

import dev.sluice.auth.TopicMatcher;
import dev.sluice.config.Config;
import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.UrlPattern;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parameters of a subscription, in either Mercure dialect, told apart by what the request
 * uses:
 * <ul>
 *   <li>Mercure 0.x: {@code topic=} selectors (exact topics, RFC 6570 URI templates, {@code *}),
 *       {@code lastEventID=}, the token in the header, the {@code authorization} query parameter or
 *       the {@code mercureAuthorization} cookie.</li>
 *   <li>Mercure 1.0: {@code match=} / {@code match_exact=} (exact) and {@code match_urlpattern=}
 *       (WHATWG URL Pattern) matchers, {@code last_event_id=}, the token in the header or the access
 *       token cookie, never in the query string.</li>
 * </ul>
 * A request with both {@code topic} and {@code match*} parameters is refused (400): its author
 * meant one dialect and its authorisation rules, and guessing which would be a silent surprise.
 * Every name in the {@code match} namespace (any name starting with "match", in any case) must be
 * one of the three above, as Mercure 1.0 reserves the whole prefix.
 */
final class SubscribeRequest {

    enum Dialect { V0, V1 }

    /** The outcome: a request, or a 400's message. */
    record Parsed(SubscribeRequest request, String refusal) {
    }

    final Dialect dialect;
    /** The distinct selectors, in order of first appearance. */
    final List<TopicSelector> selectors;
    /** {@code lastEventID} (0.x) or {@code last_event_id} (1.0) when given, else null. */
    final String lastEventIdParameter;
    /** The distinct 1.0 matchers as asked (type and text), for subscription events; empty for 0.x. */
    final List<TopicMatcher> matchers;

    private SubscribeRequest(Dialect dialect, List<TopicSelector> selectors, String lastEventIdParameter,
                             List<TopicMatcher> matchers) {
        this.dialect = dialect;
        this.selectors = selectors;
        this.lastEventIdParameter = lastEventIdParameter;
        this.matchers = matchers;
    }

    static final String MIXED = "The request mixes Mercure 0.x 'topic' and Mercure 1.0 'match' parameters: use one"
            + " dialect per request (topic= with URI templates, or match= / match_urlpattern= with URL patterns).";

    static Parsed parse(Map<String, List<String>> parameters, Config config, SelectorCache cache) {
        List<String> topics = parameters.get("topic");
        boolean hasTopic = topics != null && !topics.isEmpty();
        List<TopicMatcher> matchers = new ArrayList<>();
        for (Map.Entry<String, List<String>> p : parameters.entrySet()) {
            String name = p.getKey();
            if (!name.toLowerCase(Locale.ROOT).startsWith("match")) {
                continue;
            }
            TopicMatcher.Type type = switch (name) {
                case "match", "match_exact" -> TopicMatcher.Type.EXACT;
                case "match_urlpattern" -> TopicMatcher.Type.URL_PATTERN;
                default -> null;
            };
            if (type == null) {
                return refused("Unknown matcher parameter '" + name + "': this hub supports match, match_exact and"
                        + " match_urlpattern (the 'match' prefix is reserved for matcher types).");
            }
            for (String value : p.getValue()) {
                matchers.add(new TopicMatcher(value, type));
            }
        }
        if (hasTopic && !matchers.isEmpty()) {
            return refused(MIXED);
        }
        if (!matchers.isEmpty()) {
            return parseV1(parameters, matchers, config, cache);
        }
        if (!hasTopic) {
            return refused("Missing 'topic' query parameter: subscribe with ?topic=<topic, URI template or *>"
                    + " (Mercure 0.x) or ?match=<topic> / ?match_urlpattern=<URL pattern> (Mercure 1.0); repeat"
                    + " it for several.");
        }
        if (topics.size() > config.maxTopicsPerSubscription()) {
            return refused("Too many 'topic' parameters: " + topics.size() + " given, at most "
                    + config.maxTopicsPerSubscription() + " allowed (--max-topics).");
        }
        List<TopicSelector> selectors = new ArrayList<>(topics.size());
        for (String t : new LinkedHashSet<>(topics)) {
            if (t.isEmpty()) {
                return refused("Empty 'topic' parameter: a selector must not be empty.");
            }
            if (t.length() > config.maxTopicLength()) {
                return refused("A 'topic' selector is " + t.length() + " characters long; at most "
                        + config.maxTopicLength() + " are allowed (--max-topic-length).");
            }
            selectors.add(cache.selector(t));
        }
        return new Parsed(new SubscribeRequest(Dialect.V0, selectors, first(parameters.get("lastEventID")), List.of()),
                null);
    }

    private static Parsed parseV1(Map<String, List<String>> parameters, List<TopicMatcher> matchers, Config config,
                                  SelectorCache cache) {
        if (parameters.containsKey("authorization") || parameters.containsKey("access_token")) {
            return refused(QUERY_TOKEN);
        }
        if (matchers.size() > config.maxTopicsPerSubscription()) {
            return refused("Too many matcher parameters: " + matchers.size() + " given, at most "
                    + config.maxTopicsPerSubscription() + " allowed (--max-topics).");
        }
        Set<TopicSelector> selectors = new LinkedHashSet<>();
        for (TopicMatcher m : matchers) {
            String value = m.match();
            String name = m.type() == TopicMatcher.Type.URL_PATTERN ? "match_urlpattern" : "match";
            if (value.isEmpty()) {
                return refused("Empty '" + name + "' parameter: a matcher must not be empty.");
            }
            if (value.length() > config.maxTopicLength()) {
                return refused("A '" + name + "' value is " + value.length() + " characters long; at most "
                        + config.maxTopicLength() + " are allowed (--max-topic-length).");
            }
            String bad = forbiddenCharacter(value);
            if (bad != null) {
                return refused("A '" + name + "' value contains " + bad
                        + ", which matchers must not (control and format characters are refused).");
            }
            try {
                selectors.add(Matchers.selector(cache, m));
            } catch (UrlPattern.InvalidPatternException e) {
                return refused("'" + value + "' is not a valid URL pattern: " + e.getMessage());
            }
        }
        return new Parsed(new SubscribeRequest(Dialect.V1, List.copyOf(selectors),
                first(parameters.get("last_event_id")), List.copyOf(new LinkedHashSet<>(matchers))), null);
    }

    static final String QUERY_TOKEN = "Mercure 1.0 requests do not accept a token in the query string (RFC 9700):"
            + " send 'Authorization: Bearer <token>' or the access token cookie.";

    /** Names the first C0/C1 control, DEL or Unicode format (Cf) character, or null when none. */
    static String forbiddenCharacter(String value) {
        for (int i = 0; i < value.length(); ) {
            int cp = value.codePointAt(i);
            if (cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) || Character.getType(cp) == Character.FORMAT) {
                return String.format("U+%04X", cp);
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    private static String first(List<String> values) {
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static Parsed refused(String message) {
        return new Parsed(null, message);
    }
}
