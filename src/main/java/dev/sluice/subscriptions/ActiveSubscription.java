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
 */
public record ActiveSubscription(String topic, String subscriber, Object payload, boolean active, String node) {

    /** Its identifier and the topic of its events: {@code /.well-known/mercure/subscriptions/{topic}/{subscriber}}. */
    public String path() {
        return SubscriptionPaths.of(topic, subscriber);
    }

    public ActiveSubscription ended() {
        return new ActiveSubscription(topic, subscriber, payload, false, node);
    }

    /** Key of the subscription in a map: topic and subscriber, which cannot contain a newline once encoded. */
    String key() {
        return path();
    }
}
