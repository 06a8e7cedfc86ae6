package dev.sluice.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Selector parsing and matching, as the Mercure rules order them: {@code *} matches every topic;
 * a topic equal to the selector matches (a template matches its own text); a valid URI template
 * matches its expansions; anything else, including a string with braces that is not a valid
 * template, is an exact topic. (The template grammar itself is covered by UriTemplateTest.)
 */
class TopicSelectorTest {

    /** What each selector is parsed as. {@code ""} in a row is the empty string. */
    @ParameterizedTest(name = "[{index}] ''{0}'' is {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', emptyValue = "", textBlock = """
            *                                  | ANY       | the wildcard
            https://example.com/books/1        | EXACT     | a plain topic
            ""                                 | EXACT     | the empty string is a (strange) topic, not an error
            **                                 | EXACT     | only a lone * is the wildcard
            " *"                               | EXACT     | no trimming
            *?                                 | EXACT     | * is not a glob
            https://example.com/books/{id}     | TEMPLATE  | a level-1 expression
            {x}                                | TEMPLATE  | an expression alone
            {+path}/x                          | TEMPLATE  | reserved expansion
            /a{/b,c}{?q*}                      | TEMPLATE  | several operators, explode
            {var:3}                            | TEMPLATE  | prefix modifier
            https://example.com/{              | EXACT     | an open brace only
            https://example.com/}{             | EXACT     | braces the wrong way round
            {}                                 | EXACT     | braces around nothing: not a valid template
            {a b}                              | EXACT     | a space is not a variable character
            {a}}                               | EXACT     | an unbalanced closing brace
            {{a}}                              | EXACT     | nested braces
            {a:0}                              | EXACT     | a prefix must be 1 to 9999
            {a:10000}                          | EXACT     | a prefix must be 1 to 9999
            {a*:3}                             | EXACT     | explode and prefix together
            {!x}                               | EXACT     | a reserved operator character
            """)
    void parsesAs(String source, TopicSelector.Kind kind, String why) {
        TopicSelector selector = TopicSelector.parse(source);
        assertThat(selector.kind()).as(why).isEqualTo(kind);
        assertThat(selector.source()).isEqualTo(source);
        assertThat(selector.matches(source)).as("every selector matches its own text").isTrue();
    }

    /** Whether a selector matches a topic. */
    @ParameterizedTest(name = "[{index}] ''{0}'' vs ''{1}'': {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', emptyValue = "", textBlock = """
            *                               | https://example.com/books/1           | true  | wildcard: any topic
            *                               | ""                                    | true  | wildcard: even the empty topic
            *                               | {id}                                  | true  | wildcard: even a template's text
            https://example.com/books/1     | https://example.com/books/1           | true  | exact: equal
            https://example.com/books/1     | https://example.com/books/10          | false | exact: no prefix match
            https://example.com/books/1     | https://example.com/books/           | false | exact: no prefix match
            https://example.com/books/1     | HTTPS://EXAMPLE.COM/books/1           | false | exact: compared as written, case too
            https://example.com/books/1     | https://example.com/books/1/          | false | exact: trailing slash differs
            https://example.com/books/1     | " https://example.com/books/1"        | false | exact: no trimming
            https://example.com/books/%31   | https://example.com/books/1           | false | exact: no percent-decoding
            **                              | https://example.com/books/1           | false | ** is an exact topic
            **                              | **                                    | true  | ** is an exact topic
            ""                              | ""                                    | true  | empty selector: only the empty topic
            ""                              | a                                     | false | empty selector: only the empty topic
            https://example.com/books/{id}  | https://example.com/books/1           | true  | template: a value
            https://example.com/books/{id}  | https://example.com/books/dune-2021   | true  | template: unreserved characters
            https://example.com/books/{id}  | https://example.com/books/            | true  | template: an undefined variable expands to nothing
            https://example.com/books/{id}  | https://example.com/books/a%2Fb       | true  | template: percent-encoded slash is a value
            https://example.com/books/{id}  | https://example.com/books/a/b         | false | template: a simple value has no slash
            https://example.com/books/{id}  | https://example.com/books/1/reviews   | false | template: whole topic must match
            https://example.com/books/{id}  | https://example.com/authors/1         | false | template: literal part differs
            https://example.com/books/{id}  | http://example.com/books/1            | false | template: scheme is literal
            https://example.com/books/{id}  | https://example.com/books/{id}        | true  | template: matches its own text
            https://example.com/books/{id}  | https://example.com/books/{other}     | false | template: another template's text is just a topic
            {+path}                         | https://example.com/books/1/reviews   | true  | reserved expansion keeps slashes
            https://example.com{/p*}        | https://example.com/books/1/reviews   | true  | exploded path segments
            https://example.com{/p*}        | https://example.com                   | true  | exploded path segments: none at all
            https://example.com/books{?q}   | https://example.com/books?q=dune      | true  | form-style query
            https://example.com/books{?q}   | https://example.com/books?x=dune      | false | form-style query: the name is literal
            {var:3}                         | val                                   | true  | prefix: up to 3 characters
            {var:3}                         | value                                 | false | prefix: not more
            https://example.com/{           | https://example.com/{                 | true  | not a template: exact
            https://example.com/{           | https://example.com/x                 | false | not a template: exact
            {}                              | {}                                    | true  | invalid template: exact
            {}                              | ""                                    | false | invalid template: exact, not an empty expansion
            {a b}                           | x                                     | false | invalid template: exact, never a variable
            """)
    void matches(String selector, String topic, boolean expected, String why) {
        assertThat(TopicSelector.parse(selector).matches(topic)).as(why).isEqualTo(expected);
    }

    @Test
    void wildcardIsOneSharedInstanceAndEqualityIsBySource() {
        assertThat(TopicSelector.parse("*")).isSameAs(TopicSelector.ANY);
        TopicSelector a = TopicSelector.parse("https://example.com/books/{id}");
        TopicSelector b = TopicSelector.parse("https://example.com/books/{id}");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).hasToString("https://example.com/books/{id}");
        assertThat(a).isNotEqualTo(TopicSelector.parse("https://example.com/books/{ID}"));
        assertThat(TopicSelector.parse("x")).isNotEqualTo("x");
        assertThatNullPointerException().isThrownBy(() -> TopicSelector.parse(null));
    }
}
