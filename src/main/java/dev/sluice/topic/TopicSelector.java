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

    public enum Kind { ANY, EXACT, TEMPLATE }

    public static final TopicSelector ANY = new TopicSelector("*", Kind.ANY, null);

    private final String source;
    private final Kind kind;
    private final UriTemplate template;

    private TopicSelector(String source, Kind kind, UriTemplate template) {
        this.source = source;
        this.kind = kind;
        this.template = template;
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
        return o instanceof TopicSelector other && other.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    @Override
    public String toString() {
        return source;
    }
}
