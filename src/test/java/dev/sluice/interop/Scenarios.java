package dev.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.interop.Subscription.Auth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The scenario set. Each one opens subscriptions with a client, publishes over HTTP and checks
 * exactly what the client dispatched (every event, in order, with its type, data and id, and
 * nothing else), then that the client reported no problem. Each works on topics of its own, so
 * all of them run at once against one gateway. A scenario returns a note for the table when the
 * client passed it in its own way, null otherwise; it fails by throwing.
 */
final class Scenarios {
    static final Duration WAIT = Duration.ofSeconds(15);

    private final Target target;
    private final InteropClient client;
    private final ClientKind kind;
    /** The scenario's own topic. */
    private final String topic;

    Scenarios(Target target, InteropClient client, ClientKind kind, String topic) {
        this.target = target;
        this.client = client;
        this.kind = kind;
        this.topic = topic;
    }

    String run(Scenario s) throws Exception {
        return switch (s) {
            case PUBLIC -> publicUpdates();
            case PRIVATE -> privateUpdates();
            case MULTI_LINE -> multiLine();
            case EVENT_TYPE -> eventType();
            case RETRY -> retry();
            case RECONNECT -> reconnect();
            case NON_ASCII -> nonAscii();
            case HEARTBEAT -> heartbeats();
            case TOKEN_HEADER -> token(Auth.HEADER);
            case TOKEN_COOKIE -> token(Auth.COOKIE);
            case TOKEN_QUERY -> token(Auth.QUERY);
            case FIFTEEN_STREAMS -> fifteenStreams();
        };
    }

    private String publish(String data, String... more) throws Exception {
        List<String> pairs = new ArrayList<>(List.of("topic", topic, "data", data));
        pairs.addAll(List.of(more));
        return target.hub.publishOk(pairs.toArray(String[]::new));
    }

    private static Received message(String data, String id) {
        return new Received("message", data, id);
    }

    /** Exactly these events, in this order, and no problem reported by the client. */
    private static void expect(ClientStream s, Received... expected) throws InterruptedException {
        List<Received> got = s.awaitEvents(expected.length, WAIT);
        assertThat(got).as("what the client dispatched").containsExactly(expected);
        clean(s);
    }

    private static void clean(ClientStream s) {
        assertThat(s.problems()).as("problems the client reported").isEmpty();
    }

    /** Opens a subscription and waits until it is open, over the protocol of the row where that shows. */
    private ClientStream open(Subscription sub) throws Exception {
        ClientStream s = client.open(sub);
        s.awaitOpens(1, WAIT);
        assertThat(s.protocols()).as("HTTP versions of the connections")
                .allSatisfy(v -> assertThat(v).isEqualTo(target.protocol.version));
        return s;
    }

    /** Two public updates reach an anonymous subscriber, with their ids. */
    private String publicUpdates() throws Exception {
        try (ClientStream s = open(Subscription.anonymous(topic))) {
            String one = publish("one");
            String two = publish("two");
            expect(s, message("one", one), message("two", two));
        }
        return null;
    }

    /** A private update reaches a subscriber whose token allows the topic, and not an anonymous one. */
    private String privateUpdates() throws Exception {
        try (ClientStream anonymous = open(Subscription.anonymous(topic));
             ClientStream allowed = open(Subscription.withToken(topic, Auth.QUERY))) {
            String secret = publish("for the token holder", "private", "on");
            String open = publish("for everyone");
            expect(allowed, message("for the token holder", secret), message("for everyone", open));
            expect(anonymous, message("for everyone", open));
        }
        return null;
    }

    /** Every line of multi-line data (CRLF, LF, CR, an empty line) arrives joined with LF; empty data still fires. */
    private String multiLine() throws Exception {
        try (ClientStream s = open(Subscription.anonymous(topic))) {
            String lines = publish("line 1\nline 2\r\n\r\nline 4\rline 5");
            String empty = publish("");
            expect(s, message("line 1\nline 2\n\nline 4\nline 5", lines), message("", empty));
        }
        return null;
    }

    /** A typed update reaches the listener for its type; an untyped one is a message. */
    private String eventType() throws Exception {
        try (ClientStream s = open(Subscription.anonymous(topic).types("quote"))) {
            String quote = publish("{\"p\":1}", "type", "quote");
            String plain = publish("plain");
            expect(s, new Received("quote", "{\"p\":1}", quote), message("plain", plain));
        }
        return null;
    }

    /**
     * An update's own {@code retry} leaves its event intact. Clients that show the retry values they
     * read saw the gateway's (the opening one, then the update's) and nothing else. Clients
     * that reconnect by themselves waited the announced time, longer than their own default (3 s
     * in Chromium, undici and npm eventsource), when the gateway ended the stream.
     */
    private String retry() throws Exception {
        try (ClientStream s = open(Subscription.anonymous(topic))) {
            String id = publish("with its own retry", "retry", "700");
            expect(s, message("with its own retry", id));
            long announced = Target.RETRY.toMillis();
            if (s.retries() != null) {
                assertThat(s.retries()).as("retry values seen").endsWith(700L).isSubsetOf(announced, 700L);
            }
            if (client.reconnects() && s.retries() == null) {
                target.endStreamsOf(topic);
                s.awaitOpens(2, WAIT);
                s.awaitEvents(1, WAIT);
                long wentAt = s.errors().getFirst();
                long gap = s.opens().get(1) - wentAt;
                assertThat(gap).as("milliseconds from the end of the stream to the reconnection (announced: %d)", announced)
                        .isGreaterThanOrEqualTo(announced * 8 / 10);
                clean(s);
            }
        }
        return null;
    }

    /**
     * The gateway ends the stream (as when it drains or cuts a slow subscriber); two updates are
     * published while the client is away; it comes back with the last id in Last-Event-ID and gets
     * exactly those two, then live ones. Clients that do not reconnect are resumed by hand.
     *
     * <p>Where the client's requests cannot be observed (Chromium), the only proof that it resumed
     * is that it got updates published while it was away; on a machine so loaded that it came back
     * before both were published, the round is repeated (at most three times).
     */
    private String reconnect() throws Exception {
        ClientStream s = open(Subscription.anonymous(topic));
        ClientStream again = null;
        try {
            String first = publish("first");
            s.awaitEvents(1, WAIT);
            List<Received> expected = new ArrayList<>(List.of(message("first", first)));
            String lastBefore = first;
            for (int round = 1; ; round++) {
                int opens = s.opens().size();
                target.endStreamsOf(topic);
                expected.add(message("missed " + round + "a", publish("missed " + round + "a")));
                expected.add(message("missed " + round + "b", publish("missed " + round + "b")));
                if (!client.reconnects()) {
                    s.awaitEnded(WAIT);
                    assertThat(s.lastEventId()).as("last id the client kept").isEqualTo(first);
                    again = open(Subscription.anonymous(topic).resumingAfter(s.lastEventId()));
                    break;
                }
                boolean away = s.opens().size() == opens;
                s.awaitOpens(opens + 1, WAIT);
                if (s.requests() != null) {
                    assertThat(s.requests().getLast()).as("Last-Event-ID of the request that resumed").isEqualTo(lastBefore);
                    break;
                }
                if (away) {
                    break;
                }
                assertThat(round).as("rounds in which the client came back before two updates were published").isLessThan(3);
                s.awaitEvents(expected.size(), WAIT);
                lastBefore = expected.getLast().lastEventId();
            }
            String live = publish("live");
            expected.add(message("live", live));
            List<Received> got;
            if (again != null) {
                got = new ArrayList<>(s.events());
                got.addAll(again.awaitEvents(expected.size() - got.size(), WAIT));
                assertThat(again.requests()).as("Last-Event-ID of the request that resumed").containsExactly(first);
            } else {
                got = s.awaitEvents(expected.size(), WAIT);
            }
            assertThat(got).as("what the client dispatched").containsExactlyElementsOf(expected);
            clean(s);
            if (again != null) {
                clean(again);
            }
        } finally {
            s.close();
            if (again != null) {
                again.close();
            }
        }
        return client.reconnects() ? null
                : "no automatic reconnection: resumed by a new request carrying the last id in `Last-Event-ID`";
    }

    /** Non-ASCII data and a non-ASCII id (the gateway runs with --allow-non-ascii-ids) arrive intact. */
    private String nonAscii() throws Exception {
        try (ClientStream s = open(Subscription.anonymous(topic))) {
            String id = "café-✓-🎉-" + Integer.toHexString(topic.hashCode());
            String data = "héllo ✓ 🎉 ид\nzweite Zeile: ß";
            assertThat(publish(data, "id", id)).isEqualTo(id);
            expect(s, message(data, id));
        }
        return null;
    }

    /**
     * A stream idle for several heartbeat intervals gets heartbeats (seen by the clients that
     * show comments), and none of them surfaces as an event.
     */
    private String heartbeats() throws Exception {
        try (ClientStream s = open(Subscription.anonymous(topic))) {
            Thread.sleep(Target.HEARTBEAT.toMillis() * 4);
            String after = publish("after the quiet");
            expect(s, message("after the quiet", after));
            Thread.sleep(Target.HEARTBEAT.toMillis() * 2);
            assertThat(s.events()).as("heartbeats never dispatch").containsExactly(message("after the quiet", after));
            if (s.comments() >= 0) {
                assertThat(s.comments()).as("comments seen: the opening one and heartbeats").isGreaterThanOrEqualTo(3);
            }
        }
        return null;
    }

    /** The token travels the given way and allows a private update. */
    private String token(Auth auth) throws Exception {
        try (ClientStream s = open(Subscription.withToken(topic, auth))) {
            String secret = publish("private", "private", "on");
            String open = publish("public");
            expect(s, message("private", secret), message("public", open));
        }
        return null;
    }

    /** Fifteen EventSources on one page, one connection: every one of them gets the update. */
    private String fifteenStreams() throws Exception {
        List<ClientStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 15; i++) {
                streams.add(client.open(Subscription.anonymous(topic)));
            }
            for (ClientStream s : streams) {
                s.awaitOpens(1, WAIT);
                assertThat(s.protocols()).as("HTTP versions of the connections")
                .allSatisfy(v -> assertThat(v).isEqualTo(target.protocol.version));
            }
            String id = publish("to all fifteen");
            for (ClientStream s : streams) {
                expect(s, message("to all fifteen", id));
            }
        } finally {
            for (ClientStream s : streams) {
                s.close();
            }
        }
        return null;
    }
}
