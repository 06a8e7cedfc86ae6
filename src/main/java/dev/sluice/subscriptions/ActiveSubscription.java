package dev.sluice.subscriptions;

/**
 * One subscription of one subscriber to one topic selector, as the whole cluster knows it: the
 * model behind subscription events and the subscriptions API, independent of any JSON shape.
 *
 * @param topic      the topic selector the subscriber asked for
 * @param subscriber the subscriber's identifier (an IRI; the same for all topics of one stream)
 * @param payload    the subscriber token's {@code mercure.payload} (parsed JSON), or null
 * @param active     true while the subscription lasts; false in the event that says it ended
 * @param node       the gateway process that holds the stream (its lease keeps the entry alive)
 * @param matchType  null for a Mercure 0.x subscription ({@code topic=}); {@code exact} or
 *                   {@code urlpattern} for a Mercure 1.0 one, whose {@code topic} is then its matcher
 */
public record ActiveSubscription(String topic, String subscriber, Object payload, boolean active, String node,
                                 String matchType) {

    /** A Mercure 0.x subscription. */
    public ActiveSubscription(String topic, String subscriber, Object payload, boolean active, String node) {
        this(topic, subscriber, payload, active, node, null);
    }

    /** Whether it was made with Mercure 1.0's {@code match*} parameters. */
    public boolean v1() {
        return matchType != null;
    }

    /**
     * Its identifier and the topic of its events: {@code /.well-known/mercure/subscriptions/{topic}/{subscriber}}
     * (0.x) or {@code /.well-known/mercure/subscriptions/{match_type}/{match}/{subscriber}} (1.0).
     */
    public String path() {
        return matchType == null ? SubscriptionPaths.of(topic, subscriber)
                : SubscriptionPaths.of(matchType, topic, subscriber);
    }

    public ActiveSubscription ended() {
        return new ActiveSubscription(topic, subscriber, payload, false, node, matchType);
    }

    /** Key of the subscription in a map: topic and subscriber, which cannot contain a newline once encoded. */
    String key() {
        return path();
    }
}
