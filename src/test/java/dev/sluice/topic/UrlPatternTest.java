package dev.sluice.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** URL patterns as Mercure 1.0 uses them: topics, the hub's URL as base, limits. */
class UrlPatternTest {

    private static final String HUB = "https://hub.example/.well-known/mercure";

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            https://example.com/books/:id        | https://example.com/books/1           | true
            https://example.com/books/:id        | https://example.com/books/1/reviews   | false
            https://example.com/books/:id        | https://EXAMPLE.com/books/1           | true
            https://example.com/books/:id        | https://example.com/Books/1           | false
            https://example.com/books/:id        | https://example.com:443/books/1       | true
            https://example.com/books/:id        | http://example.com/books/1            | false
            https://example.com/books/*          | https://example.com/books/1/reviews   | true
            https://example.com/books/(\\d+)     | https://example.com/books/12          | true
            https://example.com/books/(\\d+)     | https://example.com/books/x12         | false
            https://{*.}?example.com/*           | https://api.example.com/x             | true
            https://{*.}?example.com/*           | https://example.com/x                 | true
            https://{*.}?example.com/*           | https://example.org/x                 | false
            https://example.com/a/:rest*         | https://example.com/a                 | true
            https://example.com/a/:rest*         | https://example.com/a/b/c             | true
            https://example.com/books/:id        | https://example.com/books/%C3%A9      | true
            https://example.com/books/:id        | https://example.com/books/é           | true
            https://example.com/a/./b            | https://example.com/a/b               | true
            https://example.com/x?q=:v           | https://example.com/x?q=1             | true
            /.well-known/mercure/subscriptions/:topic/:subscriber | /.well-known/mercure/subscriptions/t/s | true
            /.well-known/mercure/subscriptions/:topic/:subscriber | https://hub.example/.well-known/mercure/subscriptions/t/s | true
            /.well-known/mercure/subscriptions/:topic/:subscriber | https://other.example/.well-known/mercure/subscriptions/t/s | false
            /books/:id                           | bar                                   | false
            https://example.com/*                | http://[::1                           | false
            urn\\:uuid\\:*                       | urn:uuid:0193f0c2-7e1a                | true
            urn\\:uuid\\:*                       | urn:isbn:0193f0c2                     | false
            """)
    void topicsAgainstThePatternWithTheHubAsBase(String pattern, String topic, boolean expected) {
        assertThat(UrlPattern.compile(pattern, HUB).matches(topic)).isEqualTo(expected);
    }

    /**
     * In a pattern, {@code :name} is a named group, so the colons of a URN are escaped:
     * {@code urn:uuid:*} would read {@code :uuid} as a group of the protocol.
     */
    @Test
    void anUnescapedUrnColonIsAGroupAsTheStandardSays() {
        UrlPattern unescaped = UrlPattern.compile("urn:uuid\\:*", HUB);
        assertThat(unescaped.matches("urn:uuid:0193f0c2")).isFalse();
        assertThat(UrlPattern.compile("urn\\:uuid\\:*", HUB).matches("urn:uuid:0193f0c2")).isTrue();
    }

    @Test
    void aRelativePatternWithoutABaseIsRefusedWithAReason() {
        assertThatThrownBy(() -> UrlPattern.compile("/books/:id", null))
                .isInstanceOf(UrlPattern.InvalidPatternException.class)
                .hasMessageContaining("needs a base URL");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            https://example.com/(                 | unbalanced
            https://example.com/((a))             | capturing groups are not allowed
            https://example.com/:id/:id           | duplicate group name 'id'
            https://example.com/()                | empty regular expression group
            https://example.com/(é)               | must be ASCII
            https://example.com/([a-)             | not a valid regular expression
            https://example.com/books/{:id        | expected close
            """)
    void malformedPatternsSayWhatIsWrong(String pattern, String reason) {
        assertThatThrownBy(() -> UrlPattern.compile(pattern, HUB))
                .isInstanceOf(UrlPattern.InvalidPatternException.class)
                .hasMessageContaining(reason);
    }

    /**
     * A custom group with nested quantifiers backtracks exponentially on a near-miss in a
     * backtracking engine. The evaluation budget turns that into a non-match instead of a stuck
     * event loop, and an ordinary long topic is still matched: the budget is far above what an
     * honest pattern needs.
     */
    @Test
    void aPathologicalPatternStopsAtTheBudgetAndDoesNotMatch() {
        UrlPattern evil = UrlPattern.compile("https://example.com/((?:a+)+)b", HUB);
        String nearMiss = "https://example.com/" + "a".repeat(40) + "c";
        assertThat(evil.matches(nearMiss)).isFalse();
        assertThat(evil.matches("https://example.com/" + "a".repeat(40) + "b")).isTrue();

        UrlPattern honest = UrlPattern.compile("https://example.com/files/*", HUB);
        assertThat(honest.matches("https://example.com/files/" + "x/".repeat(5_000))).isTrue();
    }

    @Test
    void theBudgetCountsReadsOfTheInput() {
        UrlPattern.BudgetedInput input = new UrlPattern.BudgetedInput("abc", 2);
        input.charAt(0);
        input.charAt(1);
        assertThatThrownBy(() -> input.charAt(2)).isInstanceOf(RuntimeException.class);
    }

    @Test
    void classSubtractionOfTheVFlagNarrowsAndNeverWidens() {
        UrlPattern p = UrlPattern.compile("https://example.com/([[a-z]--[aeiou]])", HUB);
        assertThat(p.matches("https://example.com/b")).isTrue();
        assertThat(p.matches("https://example.com/a")).isFalse();
        assertThat(p.matches("https://example.com/-")).isFalse();
        assertThat(UrlPattern.toJavaRegexp("[\\d--5]")).isEqualTo("[\\d&&[^5]]");
    }

    @Test
    void urlPatternSelectorsAreCachedAndDistinctFromZeroXSelectorsWithTheSameText() {
        SelectorCache cache = new SelectorCache(100, 100, HUB);
        TopicSelector pattern = cache.urlPattern("https://example.com/books/:id");
        assertThat(cache.urlPattern("https://example.com/books/:id")).isSameAs(pattern);
        assertThat(pattern.kind()).isEqualTo(TopicSelector.Kind.URL_PATTERN);
        TopicSelector exact = cache.selector("https://example.com/books/:id");
        assertThat(exact.kind()).isEqualTo(TopicSelector.Kind.EXACT);
        assertThat(pattern).isNotEqualTo(exact);
        assertThat(cache.matches(pattern, "https://example.com/books/7")).isTrue();
        assertThat(cache.matches(exact, "https://example.com/books/7")).isFalse();
        assertThat(cache.urlPattern("*")).isSameAs(TopicSelector.ANY);
        assertThat(cache.anyMatches(new TopicSelector[] {pattern}, List.of("x", "https://example.com/books/9"))).isTrue();
    }
}
