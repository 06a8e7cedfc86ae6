package dev.sluice.topic;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.List;

/**
 * Interns selectors so that each distinct template is compiled once, and remembers whether a
 * template matches a topic, so a regular expression runs once per (template, topic) pair rather
 * than once per update.
 *
 * <p>Both maps are bounded: a client sending endless distinct templates or publishers sending
 * endless distinct topics costs a recompilation or a re-match, never unbounded memory.
 */
public final class SelectorCache {

    private final Cache<String, TopicSelector> selectors;
    private final Cache<String, TopicSelector> urlPatterns;
    private final Cache<MatchKey, Boolean> matches;
    private final String baseUrl;

    private record MatchKey(TopicSelector selector, String topic) {}

    public SelectorCache(long maxSelectors, long maxMatches) {
        this(maxSelectors, maxMatches, null);
    }

    /**
     * @param baseUrl the hub's URL, against which relative URL patterns and relative topics are
     *                resolved; null refuses relative URL patterns
     */
    public SelectorCache(long maxSelectors, long maxMatches, String baseUrl) {
        this.selectors = Caffeine.newBuilder().maximumSize(maxSelectors).build();
        this.urlPatterns = Caffeine.newBuilder().maximumSize(maxSelectors).build();
        this.matches = Caffeine.newBuilder().maximumSize(maxMatches).build();
        this.baseUrl = baseUrl;
    }

    /**
     * A URL pattern selector, compiled once however many subscribers and tokens use it.
     *
     * @throws UrlPattern.InvalidPatternException when the pattern is not valid (not cached)
     */
    public TopicSelector urlPattern(String source) {
        if (source.equals("*")) {
            return TopicSelector.ANY;
        }
        return urlPatterns.get(source, s -> TopicSelector.urlPattern(s, baseUrl));
    }

    public TopicSelector selector(String source) {
        if (source.equals("*")) {
            return TopicSelector.ANY;
        }
        return selectors.get(source, TopicSelector::parse);
    }

    /** Same answer as {@link TopicSelector#matches}, cached for templates and URL patterns. */
    public boolean matches(TopicSelector selector, String topic) {
        if (!selector.isComputed()) {
            return selector.matches(topic);
        }
        return matches.get(new MatchKey(selector, topic), k -> k.selector().matches(k.topic()));
    }

    public boolean matchesAny(TopicSelector selector, List<String> topics) {
        for (int i = 0, n = topics.size(); i < n; i++) {
            if (matches(selector, topics.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** True when one of the selectors matches the topic. */
    public boolean anyMatches(TopicSelector[] selectors, String topic) {
        for (TopicSelector s : selectors) {
            if (matches(s, topic)) {
                return true;
            }
        }
        return false;
    }

    /** True when one of the selectors matches one of the topics. */
    public boolean anyMatches(TopicSelector[] selectors, List<String> topics) {
        for (TopicSelector s : selectors) {
            if (matchesAny(s, topics)) {
                return true;
            }
        }
        return false;
    }

    /** As {@link #firstUncovered(List, List)}, for a grant already made of selectors. */
    public String firstUncoveredBy(List<TopicSelector> grant, List<String> topics) {
        for (int t = 0, n = topics.size(); t < n; t++) {
            String topic = topics.get(t);
            boolean covered = false;
            for (int g = 0, m = grant.size(); g < m && !covered; g++) {
                covered = matches(grant.get(g), topic);
            }
            if (!covered) {
                return topic;
            }
        }
        return null;
    }

    /** The hub's URL that relative URL patterns and topics resolve against, or null. */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * The first topic that no selector of a grant (a token's claim, as selector strings) covers,
     * or null when the grant covers every topic: publishing needs every topic of an update covered.
     */
    public String firstUncovered(List<String> grant, List<String> topics) {
        for (int t = 0, n = topics.size(); t < n; t++) {
            String topic = topics.get(t);
            boolean covered = false;
            for (int g = 0, m = grant.size(); g < m && !covered; g++) {
                covered = matches(selector(grant.get(g)), topic);
            }
            if (!covered) {
                return topic;
            }
        }
        return null;
    }
}
