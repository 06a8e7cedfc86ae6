package dev.sluice.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Character-class edges of the template parser and translator. */
class UriTemplateEdgeCasesTest {

    @ParameterizedTest(name = "[{index}] {0} vs \"{1}\": {2}")
    @CsvSource(delimiterString = " | ", textBlock = """
            https://e.com/%09%AF%af/{x}        | https://e.com/%09%AF%af/1      | true
            https://e.com/%09%AF%af/{x}        | https://e.com/%09%af%af/1      | false
            https://e.com/{%41%F0%0a%9f}       | https://e.com/v                | true
            https://e.com/{AZaz09_}/{A}{Z}     | https://e.com/v/w              | true
            https://e.com/{x}                  | https://e.com/a|b              | false
            https://e.com/{x}                  | https://e.com/a^b              | false
            https://e.com/{x}                  | https://e.com/a{b              | false
            https://e.com/{x}                  | https://e.com/a[b              | false
            https://e.com/{x}                  | https://e.com/a`b              | false
            https://e.com/{x}                  | https://e.com/a@b              | false
            https://e.com/{+x}                 | https://e.com/a@b[c]           | true
            https://e.com/{+x}                 | https://e.com/a{b              | false
            https://e.com/s{?x}                | https://e.com/s?               | false
            https://e.com/s{?x}                | https://e.com/s                | true
            https://e.com/s{?x,y}              | https://e.com/s?               | false
            https://e.com/s{?x,y}              | https://e.com/s?y=1            | true
            https://e.com/s{?x,y}              | https://e.com/s?x=1&y=2        | true
            https://e.com/s{?x,y}              | https://e.com/s?y=1&x=2        | false
            https://e.com/{x:10}               | https://e.com/abcdefghij       | true
            https://e.com/{x:10}               | https://e.com/abcdefghijk      | false
            https://e.com/{x:9}                | https://e.com/abcdefghi        | true
            https://e.com/{x:9}                | https://e.com/abcdefghij       | false
            https://e.com/{x:9999}             | https://e.com/abc              | true
            """)
    void edgesOfCharacterClasses(String template, String uri, boolean expected) {
        assertThat(UriTemplate.compile(template).matches(uri)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            https://e.com/%/0      | '%' not followed by two hex digits at offset 14
            https://e.com/%:0      | '%' not followed by two hex digits at offset 14
            https://e.com/%@0      | '%' not followed by two hex digits at offset 14
            https://e.com/%G0      | '%' not followed by two hex digits at offset 14
            https://e.com/%`0      | '%' not followed by two hex digits at offset 14
            https://e.com/%g0      | '%' not followed by two hex digits at offset 14
            https://e.com/%0g      | '%' not followed by two hex digits at offset 14
            https://e.com/{a,.b}   | invalid character '.' in variable name at offset 17
            https://e.com/{a[}     | invalid character '[' in variable name at offset 16
            https://e.com/{a`}     | invalid character '`' in variable name at offset 16
            https://e.com/{a{}     | unclosed '{' at offset 14
            https://e.com/{a/}     | invalid character '/' in variable name at offset 16
            https://e.com/{a:}     | ':' must be followed by a prefix length at offset 17
            """)
    void rejectedAtTheEdges(String template, String problem) {
        assertThatThrownBy(() -> UriTemplate.compile(template)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid URI template \"" + template + "\": " + problem);
    }

    @Test
    void controlCharactersAreShownByCodePoint() {
        assertThatThrownBy(() -> UriTemplate.compile("{a\u007f}")).hasMessageEndingWith("invalid character U+007F in variable name at offset 2");
        assertThatThrownBy(() -> UriTemplate.compile("{a\u001f}")).hasMessageEndingWith("invalid character U+001F in variable name at offset 2");
        assertThatThrownBy(() -> UriTemplate.compile("{a~}")).hasMessageEndingWith("invalid character '~' in variable name at offset 2");
    }

    @Test
    void aClosingBraceBeforeTheOpeningOneDoesNotCount() {
        assertThat(UriTemplate.isTemplate("x}{y}")).isTrue();
        assertThat(UriTemplate.isTemplate("x}{y")).isFalse();
        assertThat(UriTemplate.isTemplate("{}")).isTrue();
        assertThat(UriTemplate.isTemplate("}{")).isFalse();
    }
}
