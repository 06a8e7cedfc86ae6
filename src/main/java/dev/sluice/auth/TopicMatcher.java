package dev.sluice.auth;

import java.util.Objects;

/**
 * One topic matcher a token grants an action on, with the dialect that gives it its meaning.
 *
 * @param match the matcher text ({@code *} matches every topic in every dialect)
 * @param type  how to read it: a Mercure 0.x selector (exact topic or RFC 6570 URI template),
 *              a Mercure 1.0 {@code exact} matcher (byte-for-byte, braces included), or a 1.0
 *              {@code urlpattern} matcher (WHATWG URL Pattern)
 */
public record TopicMatcher(String match, Type type) {

    public enum Type { SELECTOR_0X, EXACT, URL_PATTERN }

    public TopicMatcher {
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(type, "type");
    }
}
