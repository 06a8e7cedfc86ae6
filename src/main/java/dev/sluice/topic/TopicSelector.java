package dev.sluice.topic;

import java.util.Objects;

/**
 * A Mercure topic selector: {@code *}, an exact topic, or an RFC 6570 URI template.
 *
 * <p>Matching follows the Mercure rules in order: {@code *} matches everything; a topic equal to
 * the selector matches (so a template also matches itself, which authorisation relies on); a
 * selector that is a valid URI template matches the topics the template matches. A string with
 * braces that is not a valid template is an exact selector, as the protocol says.
 *
 * <p>Instances are immutable and shared: {@link SelectorCache} interns them so a template is
 * compiled once however many subscribers use it.
 */
public final class TopicSelector {

    /**
     * What a selector is. {@code URL_PATTERN} selectors come from Mercure 1.0's
     * {@code match_urlpattern} (see {@link UrlPattern}); the others from 0.x's {@code topic}.
     */
    public enum Kind { ANY, EXACT, TEMPLATE, URL_PATTERN }

    public static final TopicSelector ANY = new TopicSelector("*", Kind.ANY, null);

    private final String source;
    private final Kind kind;
    private final UriTemplate template;
    private final UrlPattern urlPattern;

    private TopicSelector(String source, Kind kind, UriTemplate template) {
        this(source, kind, template, null);
    }

    private TopicSelector(String source, Kind kind, UriTemplate template, UrlPattern urlPattern) {
        this.source = source;
        this.kind = kind;
        this.template = template;
        this.urlPattern = urlPattern;
    }

    /**
     * A URL pattern selector; {@code *} is the reserved wildcard, recognised before the pattern
     * syntax as Mercure 1.0 says. Relative patterns resolve against {@code baseUrl} (the hub's URL).
     *
     * @throws UrlPattern.InvalidPatternException when the pattern is not valid
     */
    public static TopicSelector urlPattern(String source, String baseUrl) {
        Objects.requireNonNull(source, "source");
        if (source.equals("*")) {
            return ANY;
        }
        return new TopicSelector(source, Kind.URL_PATTERN, null, UrlPattern.compile(source, baseUrl));
    }

    /**
     * A Mercure 1.0 {@code exact} matcher: the topic must equal it byte for byte, braces and all
     * (in 0.x a string with braces is a URI template). {@code *} is still the wildcard.
     */
    public static TopicSelector exact(String source) {
        Objects.requireNonNull(source, "source");
        return source.equals("*") ? ANY : new TopicSelector(source, Kind.EXACT, null);
    }

    /** Whether matching runs code per topic (a template or a URL pattern), so it is worth caching. */
    public boolean isComputed() {
        return kind == Kind.TEMPLATE || kind == Kind.URL_PATTERN;
    }

    /** Parses a selector; never fails: what is not {@code *} nor a valid template is exact. */
    public static TopicSelector parse(String source) {
        Objects.requireNonNull(source, "source");
        if (source.equals("*")) {
            return ANY;
        }
        if (UriTemplate.isTemplate(source)) {
            try {
                return new TopicSelector(source, Kind.TEMPLATE, UriTemplate.compile(source));
            } catch (IllegalArgumentException notATemplate) {
                return new TopicSelector(source, Kind.EXACT, null);
            }
        }
        return new TopicSelector(source, Kind.EXACT, null);
    }

    public boolean matches(String topic) {
        return switch (kind) {
            case ANY -> true;
            case EXACT -> source.equals(topic);
            case TEMPLATE -> source.equals(topic) || template.matches(topic);
            case URL_PATTERN -> urlPattern.matches(topic);
        };
    }

    public String source() {
        return source;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public boolean equals(Object o) {
        // A URL pattern, a 1.0 exact matcher and a 0.x template may share a text and still differ.
        return o instanceof TopicSelector other && other.source.equals(source) && other.kind == kind;
    }

    @Override
    public int hashCode() {
        return kind == Kind.URL_PATTERN ? source.hashCode() * 31 + 1 : source.hashCode();
    }

    @Override
    public String toString() {
        return source;
    }
}
