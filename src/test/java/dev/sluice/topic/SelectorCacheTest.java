package dev.sluice.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SelectorCacheTest {

    private final SelectorCache cache = new SelectorCache(100, 1000);

    @ParameterizedTest(name = "[{index}] {0} is {1}")
    @CsvSource(delimiter = '|', textBlock = """
            *                          | ANY
            https://e.com/a            | EXACT
            https://e.com/{id}         | TEMPLATE
            https://e.com/{}           | EXACT
            https://e.com/{a b}        | EXACT
            {                          | EXACT
            """)
    void kinds(String source, TopicSelector.Kind kind) {
        TopicSelector s = TopicSelector.parse(source);
        assertThat(s.kind()).isEqualTo(kind);
        assertThat(s.source()).isEqualTo(source);
        assertThat(s).hasToString(source);
        assertThat(cache.selector(source).kind()).isEqualTo(kind);
    }

    @ParameterizedTest(name = "[{index}] {0} vs {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            *                      | https://e.com/anything  | true
            https://e.com/a        | https://e.com/a         | true
            https://e.com/a        | https://e.com/b         | false
            https://e.com/a        | https://e.com/a/        | false
            https://e.com/{id}     | https://e.com/7         | true
            https://e.com/{id}     | https://e.com/{id}      | true
            https://e.com/{id}     | https://e.com/7/8       | false
            https://e.com/{}       | https://e.com/{}        | true
            https://e.com/{}       | https://e.com/x         | false
            """)
    void matchingIsTheSameCachedOrNot(String selector, String topic, boolean expected) {
        TopicSelector s = TopicSelector.parse(selector);
        assertThat(s.matches(topic)).isEqualTo(expected);
        assertThat(cache.matches(s, topic)).isEqualTo(expected);
        assertThat(cache.matches(cache.selector(selector), topic)).as("second, remembered answer").isEqualTo(expected);
        assertThat(cache.matchesAny(s, List.of("urn:none", topic))).isEqualTo(expected);
        assertThat(cache.matchesAny(s, List.of(topic, "urn:none"))).isEqualTo(expected);
        assertThat(cache.anyMatches(new TopicSelector[] {TopicSelector.parse("urn:none"), s}, topic))
                .isEqualTo(expected);
        assertThat(cache.anyMatches(new TopicSelector[] {s}, List.of("urn:none", topic))).isEqualTo(expected);
    }

    @Test
    void noSelectorsOrNoTopicsMatchNothing() {
        TopicSelector any = TopicSelector.ANY;
        assertThat(cache.matchesAny(any, List.of())).isFalse();
        assertThat(cache.anyMatches(new TopicSelector[0], "https://e.com/a")).isFalse();
        assertThat(cache.anyMatches(new TopicSelector[0], List.of("https://e.com/a"))).isFalse();
        assertThat(cache.anyMatches(new TopicSelector[] {TopicSelector.parse("https://e.com/b")}, List.of("https://e.com/a")))
                .isFalse();
    }

    @Test
    void selectorsAreInternedAndEqualBySource() {
        TopicSelector a = cache.selector("https://e.com/{id}");
        assertThat(cache.selector("https://e.com/{id}")).isSameAs(a);
        assertThat(cache.selector("*")).isSameAs(TopicSelector.ANY);
        assertThat(TopicSelector.parse("*")).isSameAs(TopicSelector.ANY);
        TopicSelector b = TopicSelector.parse("https://e.com/{id}");
        assertThat(b).isNotSameAs(a).isEqualTo(a).hasSameHashCodeAs(a);
        assertThat(b.hashCode()).isEqualTo("https://e.com/{id}".hashCode());
        assertThat(b).isNotEqualTo(TopicSelector.parse("https://e.com/{other}")).isNotEqualTo("https://e.com/{id}");
        assertThatThrownBy(() -> TopicSelector.parse(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void firstUncoveredNamesTheFirstTopicNoGrantCovers() {
        List<String> grant = List.of("https://e.com/a", "https://e.com/books/{id}");
        assertThat(cache.firstUncovered(grant, List.of("https://e.com/a", "https://e.com/books/1"))).isNull();
        assertThat(cache.firstUncovered(grant, List.of("https://e.com/books/1", "https://e.com/b", "https://e.com/c")))
                .isEqualTo("https://e.com/b");
        assertThat(cache.firstUncovered(grant, List.of("https://e.com/z"))).isEqualTo("https://e.com/z");
        assertThat(cache.firstUncovered(List.of("*"), List.of("https://e.com/z"))).isNull();
        assertThat(cache.firstUncovered(List.of(), List.of("https://e.com/z"))).isEqualTo("https://e.com/z");
        assertThat(cache.firstUncovered(List.of(), List.of())).isNull();
    }
}
