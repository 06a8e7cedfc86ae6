package dev.sluice.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UriTemplateTest {

    private static void check(String template, String uri, boolean expected) {
        UriTemplate compiled = UriTemplate.compile(template);
        String topic = uri == null ? "" : uri;
        assertThat(compiled.matches(topic))
                .as("%s against \"%s\" (regex %s)", template, topic, compiled.regex())
                .isEqualTo(expected);
    }

    /*
     * Every expansion example of RFC 6570 section 3.2, with its variables:
     * count=(one,two,three) dom=(example,com) dub="me/too" hello="Hello World!" half="50%"
     * var="value" who="fred" base="http://example.com/home/" path="/foo/bar"
     * list=(red,green,blue) keys=[(semi,";"),(dot,"."),(comma,",")] v="6" x="1024" y="768"
     * empty="" empty_keys=[] undef unset. A matcher must accept each template's own expansion.
     */
    @ParameterizedTest(name = "[{index}] {0} matches {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            {count}              | one,two,three
            {count*}             | one,two,three
            {/count}             | /one,two,three
            {/count*}            | /one/two/three
            {;count}             | ;count=one,two,three
            {;count*}            | ;count=one;count=two;count=three
            {?count}             | ?count=one,two,three
            {?count*}            | ?count=one&count=two&count=three
            {&count*}            | &count=one&count=two&count=three
            {var}                | value
            {hello}              | Hello%20World%21
            {half}               | 50%25
            O{empty}X            | OX
            O{undef}X            | OX
            {x,y}                | 1024,768
            {x,hello,y}          | 1024,Hello%20World%21,768
            ?{x,empty}           | ?1024,
            ?{x,undef}           | ?1024
            ?{undef,y}           | ?768
            {var:3}              | val
            {var:30}             | value
            {list}               | red,green,blue
            {list*}              | red,green,blue
            {keys}               | semi,%3B,dot,.,comma,%2C
            {keys*}              | semi=%3B,dot=.,comma=%2C
            map?{x,y}            | map?1024,768
            {+var}               | value
            {+hello}             | Hello%20World!
            {+half}              | 50%25
            {base}index          | http%3A%2F%2Fexample.com%2Fhome%2Findex
            {+base}index         | http://example.com/home/index
            O{+empty}X           | OX
            O{+undef}X           | OX
            {+path}/here         | /foo/bar/here
            here?ref={+path}     | here?ref=/foo/bar
            up{+path}{var}/here  | up/foo/barvalue/here
            {+x,hello,y}         | 1024,Hello%20World!,768
            {+path,x}/here       | /foo/bar,1024/here
            {+path:6}/here       | /foo/b/here
            {+list}              | red,green,blue
            {+list*}             | red,green,blue
            {+keys}              | semi,;,dot,.,comma,,
            {+keys*}             | semi=;,dot=.,comma=,
            {#var}               | #value
            X{#hello}            | X#Hello%20World!
            {#half}              | #50%25
            foo{#empty}          | foo#
            foo{#undef}          | foo
            {#x,hello,y}         | #1024,Hello%20World!,768
            {#path,x}/here       | #/foo/bar,1024/here
            {#path:6}/here       | #/foo/b/here
            {#list}              | #red,green,blue
            {#list*}             | #red,green,blue
            {#keys}              | #semi,;,dot,.,comma,,
            {#keys*}             | #semi=;,dot=.,comma=,
            {.who}               | .fred
            {.who,who}           | .fred.fred
            {.half,who}          | .50%25.fred
            www{.dom*}           | www.example.com
            X{.var}              | X.value
            X{.x,y}              | X.1024.768
            X{.empty}            | X.
            X{.undef}            | X
            X{.var:3}            | X.val
            X{.list}             | X.red,green,blue
            X{.list*}            | X.red.green.blue
            X{.keys}             | X.semi,%3B,dot,.,comma,%2C
            X{.keys*}            | X.semi=%3B.dot=..comma=%2C
            X{.empty_keys}       | X
            X{.empty_keys*}      | X
            {/who}               | /fred
            {/who,who}           | /fred/fred
            {/half,who}          | /50%25/fred
            {/who,dub}           | /fred/me%2Ftoo
            {/var}               | /value
            {/var,empty}         | /value/
            {/var,undef}         | /value
            {/var,x}/here        | /value/1024/here
            {/var:1,var}         | /v/value
            {/list}              | /red,green,blue
            {/list*}             | /red/green/blue
            {/list*,path:4}      | /red/green/blue/%2Ffoo
            {/keys}              | /semi,%3B,dot,.,comma,%2C
            {/keys*}             | /semi=%3B/dot=./comma=%2C
            {;who}               | ;who=fred
            {;half}              | ;half=50%25
            {;empty}             | ;empty
            {;v,empty,who}       | ;v=6;empty;who=fred
            {;v,bar,who}         | ;v=6;who=fred
            {;x,y}               | ;x=1024;y=768
            {;x,y,empty}         | ;x=1024;y=768;empty
            {;x,y,undef}         | ;x=1024;y=768
            {;hello:5}           | ;hello=Hello
            {;list}              | ;list=red,green,blue
            {;list*}             | ;list=red;list=green;list=blue
            {;keys}              | ;keys=semi,%3B,dot,.,comma,%2C
            {;keys*}             | ;semi=%3B;dot=.;comma=%2C
            {?who}               | ?who=fred
            {?half}              | ?half=50%25
            {?x,y}               | ?x=1024&y=768
            {?x,y,empty}         | ?x=1024&y=768&empty=
            {?x,y,undef}         | ?x=1024&y=768
            {?var:3}             | ?var=val
            {?list}              | ?list=red,green,blue
            {?list*}             | ?list=red&list=green&list=blue
            {?keys}              | ?keys=semi,%3B,dot,.,comma,%2C
            {?keys*}             | ?semi=%3B&dot=.&comma=%2C
            {&who}               | &who=fred
            {&half}              | &half=50%25
            ?fixed=yes{&x}       | ?fixed=yes&x=1024
            {&x,y,empty}         | &x=1024&y=768&empty=
            {&var:3}             | &var=val
            {&list}              | &list=red,green,blue
            {&list*}             | &list=red&list=green&list=blue
            {&keys}              | &keys=semi,%3B,dot,.,comma,%2C
            {&keys*}             | &semi=%3B&dot=.&comma=%2C
            """)
    void matchesEveryRfc6570Expansion(String template, String expansion) {
        check(template, expansion, true);
    }

    @ParameterizedTest(name = "[{index}] {0} vs \"{1}\": {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            # simple: unreserved and percent-encoded characters, commas between list items
            {id}        | abc-._~09AZ      | true
            {id}        | a%2Fb            | true
            {id}        | a%2fb            | true
            {id}        | a,b,c            | true
            {id}        | ""               | true
            {id}        | a/b              | false
            {id}        | a?b              | false
            {id}        | a#b              | false
            {id}        | a=b              | false
            {id}        | a&b              | false
            {id}        | a b              | false
            {id}        | a+b              | false
            {id}        | é                | false
            {id}        | 100%             | false
            {id}        | a%2              | false
            {id}        | a%zz             | false
            {id}.json   | a.b.json         | true
            {id}.json   | a.json           | true
            {id}.json   | .json            | true
            {id}.json   | a.json.txt       | false
            # reserved: may span '/', '?', '#' and the other reserved characters
            {+path}     | /a/b?c=d#e       | true
            {+path}     | !$&'()*+,;=:@[]  | true
            {+path}     | a b              | false
            {+path}     | a<b>             | false
            {+path}     | a%G0             | false
            {+path}/end | /a/b/end         | true
            {+path}/end | /a/b/en          | false
            # fragment
            {#frag}     | #a/b?c           | true
            {#frag}     | #                | true
            {#frag}     | ""               | true
            {#frag}     | a/b              | false
            {#frag}     | #a b             | false
            # label
            X{.var}     | X.a              | true
            X{.var}     | X                | true
            X{.var}     | X.a.b            | true
            X{.var}     | Xa               | false
            X{.var}     | X.a/b            | false
            X{.a:2,b:2} | X.ab.cd          | true
            X{.a:2,b:2} | X.ab.cd.ef       | false
            # path segments
            {/var}      | /a               | true
            {/var}      | /                | true
            {/var}      | ""               | true
            {/var}      | /a/b             | false
            {/var}      | a                | false
            {/a,b}      | /x/y             | true
            {/a,b}      | /x/y/z           | false
            {/a:1,b}    | /x/yyyy          | true
            {/a:1,b}    | /yyyy            | true
            {/a:1,b}    | /xx/yy           | false
            # path-style parameters: ';name' when empty, ';name=value' otherwise
            {;x}        | ;x=1             | true
            {;x}        | ;x               | true
            {;x}        | ""               | true
            {;x}        | ;y=1             | false
            {;x}        | ;x=1;x=2         | false
            {;x}        | x=1              | false
            {;x,y}      | ;y=2             | true
            {;x,y}      | ;y=2;x=1         | false
            # form query: always 'name=', even when empty
            {?x}        | ?x=1             | true
            {?x}        | ?x=              | true
            {?x}        | ""               | true
            {?x}        | ?x               | false
            {?x}        | ?                | false
            {?x}        | ?y=1             | false
            {?x}        | &x=1             | false
            {?x}        | ?x=1&y=2         | false
            {?x,y}      | ?x=1&y=2         | true
            {?x,y}      | ?x=1             | true
            {?x,y}      | ?y=2             | true
            {?x,y}      | ""               | true
            {?x,y}      | ?y=2&x=1         | false
            {?x,y}      | ?x=1?y=2         | false
            {?x,y}      | ?x=1&x=2         | false
            {?x,y}      | &x=1&y=2         | false
            # query continuation
            {&x}        | &x=1             | true
            {&x}        | ""               | true
            {&x}        | ?x=1             | false
            {&x,y}      | &y=2             | true
            ?a=1{&x,y}  | ?a=1&x=1&y=2     | true
            ?a=1{&x,y}  | ?a=1?x=1         | false
            """)
    void operators(String template, String uri, boolean expected) {
        check(template, uri, expected);
    }

    @ParameterizedTest(name = "[{index}] {0} vs \"{1}\": {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            # several variables in one expression, each of which may be undefined
            {x,y}           | 1,2          | true
            {x,y}           | 1            | true
            {x,y}           | ,2           | true
            {x,y}           | ""           | true
            {x:1,y:1}       | a,b          | true
            {x:1,y:1}       | b            | true
            {x:1,y:1}       | ab           | false
            {x:1,y:1}       | a,b,c        | false
            {+x:2,y:2}      | /a,/b        | true
            {+x:2,y:2}      | /ab          | false
            {#x:1,y:1}      | #a,b         | true
            {#x:1,y:1}      | #            | true
            {#x:1,y:1}      | #ab          | false
            {/a:1,b:2,c:1}  | /x/yy/z      | true
            {/a:1,b:2,c:1}  | /yy/z        | true
            {/a:1,b:2,c:1}  | /x/yy        | true
            {/a:1,b:2,c:1}  | /yy/yy       | false
            {?a:1,b:1,a:1}  | ?a=1&a=2     | true
            {?a:1,b:1,a:1}  | ?a=1&b=2&a=3 | true
            {?a:1,b:1,a:1}  | ?b=1&b=2     | false
            # explode: separators and key=value pairs inside the value
            {x*}            | a,b,c        | true
            {x*}            | a=1,b=2      | true
            {x*}            | a/b          | false
            {/a*}           | /a/b/c       | true
            {/a*}           | /a=1/b=2     | true
            {/a*}           | ""           | true
            {/a*}           | a/b          | false
            {/a*}           | /a?b         | false
            {/a*}/end       | /a/b/end     | true
            {.dom*}         | .example.com | true
            {;list*}        | ;list=a;list | true
            {?list*}        | ?list=a&list=b | true
            {?list*}        | ?k=v&k2=v2   | true
            {?list*}        | ?            | false
            {?list*}        | ?a=1?b=2     | false
            {?list*}        | ?a=1#b       | false
            {&list*}        | &a=1&b=2     | true
            {?x,list*}      | ?x=1&a=1&b=2 | true
            # prefix: at most n characters, a percent-encoded triplet counting as one
            {var:3}         | abc          | true
            {var:3}         | ab           | true
            {var:3}         | ""           | true
            {var:3}         | abcd         | false
            {var:3}         | %41%42%43    | true
            {var:3}         | %41%42%43%44 | false
            {var:3}         | a,b          | false
            {var:3}/x       | abc/x        | true
            {var:3}/x       | abcd/x       | false
            {var:2}{id}     | abcd         | true
            {+p:3}          | a/b          | true
            {+p:3}          | a/bc         | false
            {?q:2}          | ?q=ab        | true
            {?q:2}          | ?q=          | true
            {?q:2}          | ?q=abc       | false
            {;p:2}          | ;p           | true
            {;p:2}          | ;p=ab        | true
            {;p:2}          | ;p=          | false
            {;p:2}          | ;p=abc       | false
            {.v:1}          | .a           | true
            {.v:1}          | .ab          | false
            """)
    void multipleVariablesExplodeAndPrefix(String template, String uri, boolean expected) {
        check(template, uri, expected);
    }

    @ParameterizedTest(name = "[{index}] {0} vs \"{1}\": {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            # Mercure topic selectors
            https://example.com/books/{id}              | https://example.com/books/1          | true
            https://example.com/books/{id}              | https://example.com/books/            | true
            https://example.com/books/{id}              | https://example.com/books/1/reviews  | false
            https://example.com/books/{id}              | https://example.com/books            | false
            https://example.com/books/{id}              | https://example.com/books/1?x=y      | false
            https://example.com/books/{id}              | http://example.com/books/1           | false
            https://example.com/books/{id}              | https://Example.com/books/1          | false
            https://example.com/users/{u}/books/{b}     | https://example.com/users/kévin/books/1 | false
            https://example.com/users/{u}/books/{b}     | https://example.com/users/k%C3%A9vin/books/1 | true
            https://example.com/users/{u}/books/{b}     | https://example.com/users/a/b/books/1 | false
            https://example.com/{+path}                 | https://example.com/a/b/c            | true
            https://example.com/{+path}                 | https://example.com/a/b?c=d          | true
            https://example.com/books/{id}{?format}     | https://example.com/books/1?format=json | true
            https://example.com/books/{id}{?format}     | https://example.com/books/1          | true
            https://example.com/books/{id}{?format}     | https://example.com/books/1?lang=en  | false
            urn:example:book:{id}                       | urn:example:book:42                  | true
            urn:example:book:{id}                       | urn:example:book:42:x                | false
            # literal text is matched verbatim, regex metacharacters included
            https://example.com/a.b/{x}                 | https://example.com/a.b/1            | true
            https://example.com/a.b/{x}                 | https://example.com/aXb/1            | false
            https://example.com/search?q={x}            | https://example.com/search?q=1       | true
            https://example.com/search?q={x}            | https://example.com/searchq=1        | false
            https://example.com/search?q={x}            | https://example.com/searc?q=1        | false
            https://example.com/(a)[b]*+^$\\E/{x}       | https://example.com/(a)[b]*+^$\\E/1  | true
            https://example.com/(a)[b]*+^$\\E/{x}       | https://example.com/(a)[b]++^$\\E/1  | false
            https://example.com/%41/{x}                 | https://example.com/%41/1            | true
            https://example.com/%41/{x}                 | https://example.com/A/1              | false
            https://example.com/books                   | https://example.com/books            | true
            https://example.com/books                   | https://example.com/bookz            | false
            """)
    void mercureSelectorsAndLiterals(String template, String uri, boolean expected) {
        check(template, uri, expected);
    }

    @Test
    void literalPipeAndBackslashAreNotRegexSyntax() {
        check("a|b\\d{x}", "a|b\\d1", true);
        check("a|b\\d{x}", "a", false);
        check("a|b\\d{x}", "b1", false);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiterString = " => ", quoteCharacter = '"', textBlock = """
            https://e.com/{id       => unclosed '{' at offset 14
            {a{b}                   => unclosed '{' at offset 0
            {                       => unclosed '{' at offset 0
            a}b                     => '}' without a matching '{' at offset 1
            {a}}                    => '}' without a matching '{' at offset 3
            x{}                     => empty expression '{}' at offset 1
            x{+}                    => missing variable name at offset 3
            {a,}                    => missing variable name at offset 3
            {a,,b}                  => missing variable name at offset 3
            {:3}                    => missing variable name at offset 1
            {*}                     => missing variable name at offset 1
            {=a}                    => operator '=' is reserved by RFC 6570 and not supported at offset 1
            {,a}                    => operator ',' is reserved by RFC 6570 and not supported at offset 1
            {!a}                    => operator '!' is reserved by RFC 6570 and not supported at offset 1
            {@a}                    => operator '@' is reserved by RFC 6570 and not supported at offset 1
            {|a}                    => operator '|' is reserved by RFC 6570 and not supported at offset 1
            {$a}                    => invalid character '$' in variable name at offset 1
            {a b}                   => invalid character ' ' in variable name at offset 2
            {a-b}                   => invalid character '-' in variable name at offset 2
            {+a/b}                  => invalid character '/' in variable name at offset 3
            {é}                     => invalid character U+00E9 in variable name at offset 1
            {..a}                   => invalid character '.' in variable name at offset 2
            {a.}                    => '.' in a variable name must be followed by a letter, digit, '_' or '%' at offset 2
            {a..b}                  => '.' in a variable name must be followed by a letter, digit, '_' or '%' at offset 2
            {a%2}                   => '%' in a variable name not followed by two hex digits at offset 2
            {a%zz}                  => '%' in a variable name not followed by two hex digits at offset 2
            {a:}                    => ':' must be followed by a prefix length at offset 3
            {a:x}                   => ':' must be followed by a prefix length at offset 3
            {a:0}                   => prefix length 0 is not between 1 and 9999 (without leading zeros) at offset 3
            {a:01}                  => prefix length 01 is not between 1 and 9999 (without leading zeros) at offset 3
            {a:10000}               => prefix length 10000 is not between 1 and 9999 (without leading zeros) at offset 3
            {a:10001}               => prefix length 10001 is not between 1 and 9999 (without leading zeros) at offset 3
            {a:99999999999999999999} => prefix length 99999999999999999999 is not between 1 and 9999 (without leading zeros) at offset 3
            {a:3*}                  => a variable takes only one modifier, ':n' or '*' at offset 4
            {a*:3}                  => a variable takes only one modifier, ':n' or '*' at offset 3
            {a**}                   => a variable takes only one modifier, ':n' or '*' at offset 3
            {a*b}                   => unexpected character 'b' after modifier at offset 3
            {a:3b}                  => unexpected character 'b' after modifier at offset 4
            100%/{id}               => '%' not followed by two hex digits at offset 3
            {id}%4                  => '%' not followed by two hex digits at offset 4
            """)
    void rejectsMalformedTemplates(String template, String problem) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> UriTemplate.compile(template))
                .withMessage("Invalid URI template \"%s\": %s", template, problem);
    }

    @Test
    void acceptsTheFullVariableNameSyntax() {
        check("{?a_b.c%20d,X9}", "?a_b.c%20d=1&X9=2", true);
        check("{?a_b.c%20d}", "?a_bXc%20d=1", false);
        check("{?A}", "?a=1", false);
    }

    @Test
    void anUndefinedVariableExpandsToNothing() {
        check("https://e.com/{id}", "https://e.com/", true);
        check("https://e.com{/id}", "https://e.com", true);
        check("https://e.com/x{?q}", "https://e.com/x", true);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\": {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            https://example.com/books/{id} | true
            {+path}                        | true
            {}                             | true
            a{b}c{d}                       | true
            https://example.com/books/1    | false
            a{b                            | false
            a}b{                           | false
            }{                             | false
            ""                             | false
            """)
    void recognisesTemplates(String s, boolean expected) {
        assertThat(UriTemplate.isTemplate(s)).isEqualTo(expected);
    }

    @Test
    void isAValueIdentifiedByItsSource() {
        String source = "https://example.com/books/{id}";
        UriTemplate template = UriTemplate.compile(source);
        assertThat(template.source()).isEqualTo(source);
        assertThat(template).hasToString(source)
                .isEqualTo(UriTemplate.compile(source))
                .hasSameHashCodeAs(UriTemplate.compile(source))
                .isNotEqualTo(UriTemplate.compile(source + "/"));
    }

    @Test
    void canBeSharedBetweenThreads() {
        UriTemplate template = UriTemplate.compile("https://example.com/books/{id}{?q,page}");
        assertThat(IntStream.range(0, 20_000).parallel().allMatch(i -> template.matches(
                "https://example.com/books/" + i + "?q=" + (i % 7) + "&page=" + i)
                && !template.matches("https://example.com/books/" + i + "/x"))).isTrue();
    }

    /**
     * Pattern matches a repeated group by recursion, one frame per repetition; the translation
     * must keep that away from the length of the topic, or a long topic overflows the stack of
     * the thread doing the matching.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            https://example.com/{id}         | https://example.com/
            https://example.com/{id}.json    | https://example.com/
            https://example.com/{+path}      | https://example.com/
            https://example.com/{+path}/end  | https://example.com/
            https://example.com{/segments*}  | https://example.com/
            https://example.com{/a,b}        | https://example.com/
            https://example.com/x{?q*}       | https://example.com/x?q=
            https://example.com/x{?q}        | https://example.com/x?q=
            https://example.com/{id:9999}    | https://example.com/
            https://example.com/{id,other:3} | https://example.com/
            """)
    void longTopicsNeitherOverflowTheStackNorTakeLong(String source, String prefix) throws InterruptedException {
        UriTemplate template = UriTemplate.compile(source);
        String topic = prefix + "%41a.b%2F".repeat(30_000);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        boolean[] rejected = new boolean[1];
        Thread thread = new Thread(null, () -> {
            try {
                template.matches(topic);
                rejected[0] = !template.matches(topic + " ");
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "small-stack", 256 * 1024);
        // Backtracking over 30,000 repetitions would not end within the test timeout; how long a
        // match takes is measured by SelectorMatchBenchmark, not asserted here.
        thread.start();
        thread.join();
        assertThat(failure.get()).isNull();
        assertThat(rejected[0]).isTrue();
    }

    @Test
    void longTopicsMatchWhereTheyShould() {
        String id = "%41a.b%2F".repeat(30_000);
        assertThat(UriTemplate.compile("https://example.com/{id}").matches("https://example.com/" + id)).isTrue();
        assertThat(UriTemplate.compile("https://example.com/{id}.json").matches("https://example.com/" + id + ".json"))
                .isTrue();
        assertThat(UriTemplate.compile("https://example.com{/s*}").matches("https://example.com" + "/a".repeat(50_000)))
                .isTrue();
    }
}
