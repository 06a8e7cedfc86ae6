package dev.sluice.edge;

import dev.sluice.auth.TopicMatcher;
import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
import java.util.ArrayList;
import java.util.List;

/** Turns the matchers a token grants (either dialect) into the hub's selectors. */
final class Matchers {

    private Matchers() {
    }

    /** @throws dev.sluice.topic.UrlPattern.InvalidPatternException for a URL pattern that is not valid */
    static TopicSelector selector(SelectorCache cache, TopicMatcher m) {
        return switch (m.type()) {
            case SELECTOR_0X -> cache.selector(m.match());
            case EXACT -> TopicSelector.exact(m.match());
            case URL_PATTERN -> cache.urlPattern(m.match());
        };
    }

    /**
     * The selectors of a token's grant. A URL pattern in a token that does not compile refuses
     * the whole token (Mercure 1.0 forbids acting on the remaining entries).
     *
     * @throws dev.sluice.topic.UrlPattern.InvalidPatternException naming the pattern
     */
    static List<TopicSelector> selectors(SelectorCache cache, List<TopicMatcher> grant) {
        List<TopicSelector> out = new ArrayList<>(grant.size());
        for (TopicMatcher m : grant) {
            out.add(selector(cache, m));
        }
        return out;
    }
}
