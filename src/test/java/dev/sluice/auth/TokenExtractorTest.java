package dev.sluice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenExtractorTest {

    // A null cell in the tables below means "absent"; '' is an empty but present value.
    @ParameterizedTest(name = "header={0} query={1} cookie={2} -> {3}")
    @CsvSource(nullValues = "null", value = {
        "'Bearer h.h.h', q.q.q, 'mercureAuthorization=c.c.c', h.h.h",
        "'Bearer h.h.h', null,  null,                         h.h.h",
        "null,           q.q.q, 'mercureAuthorization=c.c.c', q.q.q",
        "null,           '',    'mercureAuthorization=c.c.c', c.c.c",
        "null,           null,  'mercureAuthorization=c.c.c', c.c.c",
        "null,           null,  'a=1; mercureAuthorization=c.c.c; b=2', c.c.c",
        "null,           null,  ' a=1 ;mercureAuthorization = c.c.c ', c.c.c",
        "null,           null,  'mercureAuthorization=\"c.c.c\"', c.c.c",
        "null,           null,  'mercureAuthorization=first; mercureAuthorization=second', first",
        "null,           null,  'other=x.y.z', null",
        "null,           null,  'xmercureAuthorization=x.y.z; mercureAuthorizationx=a.b.c', null",
        "null,           null,  'mercureAuthorization=', null",
        "null,           null,  'garbage; ;=;', null",
        "null,           null,  '',    null",
        "null,           null,  null,  null",
    })
    void followsTheMercurePrecedence(String header, String query, String cookie, String expected)
            throws AuthException {
        assertThat(TokenExtractor.extract(header, query, cookie)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
        "'Bearer h.h.h', q.q.q, mercureAuthorization=c.c.c, HEADER, h.h.h",
        "null,           q.q.q, mercureAuthorization=c.c.c, QUERY,  q.q.q",
        "null,           '',    mercureAuthorization=c.c.c, COOKIE, c.c.c",
        "null,           null,  other=x,                    null,   null",
    })
    void saysWhereTheTokenWasFound(String header, String query, String cookie, TokenExtractor.Source source,
                                   String token) throws AuthException {
        TokenExtractor.Found found = TokenExtractor.find(header, query, cookie);
        if (source == null) {
            assertThat(found).isNull();
        } else {
            assertThat(found).isEqualTo(new TokenExtractor.Found(token, source));
        }
    }

    @ParameterizedTest
    @CsvSource({
        "'Bearer abc',     abc",
        "'bearer abc',     abc",
        "'BEARER abc',     abc",
        "'Bearer    abc ', abc",
        "'Bearer\tabc',    abc",
    })
    void acceptsTheBearerSchemeInAnyCase(String header, String expected) throws AuthException {
        assertThat(TokenExtractor.extract(header, null, null)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
        "'Basic dXNlcjpwYXNz', Authorization header must use the Bearer scheme",
        "'abc.def.ghi',        Authorization header must use the Bearer scheme",
        "'Bearerabc',          Authorization header must use the Bearer scheme",
        "'',                   Authorization header must use the Bearer scheme",
        "'Bearer',             Authorization header has the Bearer scheme but no token",
        "'Bearer   ',          Authorization header has the Bearer scheme but no token",
    })
    void refusesAnAuthorizationHeaderThatIsNotABearerCredential(String header, String message) {
        // Even with a usable token elsewhere: the client meant the header, and its mistake must show.
        assertThatThrownBy(() -> TokenExtractor.extract(header, "q.q.q", "mercureAuthorization=c.c.c"))
                .isInstanceOf(AuthException.class)
                .hasMessage(message);
    }
}
