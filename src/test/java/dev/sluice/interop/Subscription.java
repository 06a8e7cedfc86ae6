package dev.sluice.interop;

import dev.sluice.support.TestHub;
import java.net.URI;
import java.util.List;

/**
 * What a scenario asks a client to open: the topics, where the token goes (if any), the event
 * types to listen to besides {@code message}, and a Last-Event-ID for the first request (used to
 * resume by hand with clients that do not reconnect by themselves).
 */
record Subscription(List<String> topics, Auth auth, String token, List<String> types, String lastEventId) {

    /** Where the subscriber token travels. */
    enum Auth { NONE, HEADER, COOKIE, QUERY }

    /** The name of the cookie the gateway reads a token from. */
    static final String COOKIE = "mercureAuthorization";

    static Subscription anonymous(String topic) {
        return new Subscription(List.of(topic), Auth.NONE, null, List.of(), null);
    }

    static Subscription withToken(String topic, Auth auth) {
        return new Subscription(List.of(topic), auth, TestHub.subscriber(topic), List.of(), null);
    }

    Subscription types(String... t) {
        return new Subscription(topics, auth, token, List.of(t), lastEventId);
    }

    Subscription resumingAfter(String id) {
        return new Subscription(topics, auth, token, types, id);
    }

    /** The subscribe URL on the given hub URL, with the token as a query parameter when asked. */
    URI url(URI hubUrl) {
        StringBuilder q = new StringBuilder();
        for (String t : topics) {
            q.append(q.isEmpty() ? "?" : "&").append("topic=").append(TestHub.q(t));
        }
        if (auth == Auth.QUERY) {
            q.append("&authorization=").append(TestHub.q(token));
        }
        return URI.create(hubUrl + q.toString());
    }

    /** The path and query alone, for a page on the gateway's own origin. */
    String pathAndQuery(URI hubUrl) {
        URI u = url(hubUrl);
        return u.getRawPath() + "?" + u.getRawQuery();
    }
}
