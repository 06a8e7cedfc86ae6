package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.TestHub;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Publishers and subscribers without the right token are refused with a reason. */
@OnEveryIoKind
class AuthFailuresTest {

    @Parameter
    IoKind io;

    static TestHub hub;

    @BeforeParameterizedClassInvocation
    static void start(IoKind io) throws Exception {
        hub = TestHub.startIfAvailable(io, c -> { });
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }

    static String unsigned() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString("{\"mercure\":{\"publish\":[\"*\"],\"subscribe\":[\"*\"]}}"
                .getBytes(StandardCharsets.UTF_8)) + ".";
    }

    static String expired() {
        Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
        return TokenIssuer.hmac(JwtAlgorithm.HS256, TestHub.SECRET.getBytes(StandardCharsets.UTF_8), List.of("*"),
                List.of("*"), Duration.ofMinutes(1), past);
    }

    static String wrongKey() {
        return TokenIssuer.hmac(JwtAlgorithm.HS256, "another-secret-another-secret-another-secret!".getBytes(
                StandardCharsets.UTF_8), List.of("*"), List.of("*"), null);
    }

    static Stream<Arguments> refusedPublishers() {
        return Stream.of(
                Arguments.of("no token", null, 401, "publisher token is required"),
                Arguments.of("wrong key", wrongKey(), 401, "signature"),
                Arguments.of("alg none", unsigned(), 401, "none"),
                Arguments.of("expired", expired(), 401, "expired"),
                Arguments.of("garbage", "not.a.jwt", 401, "Invalid publisher token"),
                Arguments.of("subscribe-only token", TestHub.subscriber("*"), 403, "may not publish"),
                Arguments.of("topic not allowed", TestHub.token(List.of("https://example.com/books/{id}"), List.of()),
                        403, "may not publish to topic 'https://example.com/authors/1'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedPublishers")
    void publishIsRefused(String name, String token, int status, String reason) throws Exception {
        // The hub is shared by the tests of the class, some of which publish: compare with before.
        long published = hub.gateway.hub().stats().published();
        HttpResponse<String> res = hub.publish(token, TestHub.form("topic", "https://example.com/authors/1", "data", "x"));
        assertThat(res.statusCode()).isEqualTo(status);
        assertThat(res.body()).contains(reason);
        assertThat(hub.gateway.hub().stats().published()).as("nothing refused reaches the log").isEqualTo(published);
    }

    @Test
    void everyTopicMustBeAllowed() throws Exception {
        String token = TestHub.token(List.of("https://example.com/books/{id}"), List.of());
        HttpResponse<String> res = hub.publish(token, TestHub.form("topic", "https://example.com/books/1",
                "topic", "https://example.com/secret", "data", "x"));
        assertThat(res.statusCode()).isEqualTo(403);
        assertThat(res.body()).contains("https://example.com/secret");
        HttpResponse<String> ok = hub.publish(token, TestHub.form("topic", "https://example.com/books/1", "data", "x"));
        assertThat(ok.statusCode()).isEqualTo(200);
    }

    static Stream<Arguments> refusedSubscribers() {
        return Stream.of(
                Arguments.of("no token, anonymous off", new String[0], "subscriber token is required"),
                Arguments.of("wrong key", new String[] {"Authorization", "Bearer " + wrongKey()}, "signature"),
                Arguments.of("alg none", new String[] {"Authorization", "Bearer " + unsigned()}, "none"),
                Arguments.of("expired", new String[] {"Authorization", "Bearer " + expired()}, "expired"),
                Arguments.of("not Bearer", new String[] {"Authorization", "Basic dXNlcjpwYXNz"}, "Bearer"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedSubscribers")
    void subscribeIsRefused(String name, String[] headers, String reason) throws Exception {
        HttpResponse<String> res = hub.subscribeRefused("topic=a", headers);
        assertThat(res.statusCode()).isEqualTo(401);
        // RFC 6750: no error code when no token was sent; invalid_token when one was and failed.
        assertThat(res.headers().firstValue("www-authenticate")).hasValue(headers.length == 0
                ? "Bearer realm=\"mercure\"" : "Bearer realm=\"mercure\", error=\"invalid_token\"");
        assertThat(res.body()).contains(reason);
    }
}
