package dev.sluice.edge;

import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/** Private updates reach only subscribers whose token's mercure.subscribe matches one topic. */
@OnEveryIoKind
class PrivateUpdatesTest {

    @Parameter
    IoKind io;

    static TestHub hub;

    @BeforeParameterizedClassInvocation
    static void start(IoKind io) throws Exception {
        hub = TestHub.startIfAvailable(io, b -> b.anonymous(true));
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }

    @Test
    void onlyAuthorisedSubscribersGetPrivateUpdates() throws Exception {
        String books = q("https://example.com/books/{id}");
        try (SseStream anonymous = hub.subscribe("topic=" + books);
             SseStream allowed = hub.subscribe("topic=" + books,
                     "Authorization", "Bearer " + TestHub.subscriber("https://example.com/books/{id}"));
             SseStream otherClaim = hub.subscribe("topic=" + books,
                     "Authorization", "Bearer " + TestHub.subscriber("https://example.com/authors/{id}"))) {
            String secret = hub.publishOk("topic", "https://example.com/books/1", "data", "secret", "private", "on");
            String open = hub.publishOk("topic", "https://example.com/books/1", "data", "public");
            assertThat(allowed.take(2)).extracting(e -> e.id()).containsExactly(secret, open);
            assertThat(anonymous.next().id()).as("public only").isEqualTo(open);
            assertThat(otherClaim.next().id()).isEqualTo(open);
        }
    }

    @Test
    void privateFieldWithAnyValueOrNoneMakesItPrivate() throws Exception {
        try (SseStream anonymous = hub.subscribe("topic=p")) {
            hub.publishOk("topic", "p", "data", "x", "private", "");
            hub.publishOk("topic", "p", "data", "y", "private", null);
            hub.publishOk("topic", "p", "data", "z", "private", "false");
            String open = hub.publishOk("topic", "p", "data", "public");
            assertThat(anonymous.next().id()).isEqualTo(open);
        }
    }

    @Test
    void alternateTopicCanAuthorise() throws Exception {
        // The Mercure pattern: the claim names a per-user selector, the update carries it as alternate.
        String claim = "https://example.com/users/foo/{?topic}";
        try (SseStream s = hub.subscribe("topic=" + q("https://example.com/books/{id}"),
                "Authorization", "Bearer " + TestHub.subscriber(claim))) {
            String id = hub.publishOk("topic", "https://example.com/books/1",
                    "topic", "https://example.com/users/foo/?topic=" + q("https://example.com/books/1"),
                    "data", "for foo", "private", "on");
            hub.publishOk("topic", "https://example.com/books/1",
                    "topic", "https://example.com/users/bar/?topic=" + q("https://example.com/books/1"),
                    "data", "for bar", "private", "on");
            assertThat(s.next().id()).isEqualTo(id);
            // Nothing else on its way: a public update published last is the next event.
            String marker = hub.publishOk("topic", "https://example.com/books/1", "data", "public");
            assertThat(s.next().id()).as("bar's private update was not delivered").isEqualTo(marker);
        }
    }

    @Test
    void tokenFromQueryParameterAndCookie() throws Exception {
        String token = TestHub.subscriber("*");
        try (SseStream byQuery = hub.subscribe("topic=c&authorization=" + token);
             SseStream byCookie = hub.subscribe("topic=c", "Cookie", "other=1; mercureAuthorization=" + token)) {
            String id = hub.publishOk("topic", "c", "data", "x", "private", "on");
            assertThat(byQuery.next().id()).isEqualTo(id);
            assertThat(byCookie.next().id()).isEqualTo(id);
        }
    }

    @Test
    void headerTokenWinsOverCookie() throws Exception {
        // header without rights, cookie with rights: the header is the one used, so no private update
        try (SseStream s = hub.subscribe("topic=h", "Authorization", "Bearer " + TestHub.subscriber(),
                "Cookie", "mercureAuthorization=" + TestHub.subscriber("*"))) {
            hub.publishOk("topic", "h", "data", "secret", "private", "on");
            String open = hub.publishOk("topic", "h", "data", "public");
            assertThat(s.next().id()).isEqualTo(open);
        }
    }
}
