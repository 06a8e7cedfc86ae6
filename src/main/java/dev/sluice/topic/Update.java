package dev.sluice.topic;

import java.util.List;
import java.util.Objects;

/**
 * One published update, as the publisher described it. Immutable; validated by the publish
 * endpoint before it is built (ids and types never contain CR or LF, retry is non-negative or -1).
 *
 * @param id       the SSE id; never null (the hub generates one when the publisher gave none)
 * @param topics   the canonical topic first, then alternates; never empty
 * @param data     the payload, may span several lines; never null (empty is a valid update)
 * @param isPrivate only subscribers authorised for one of the topics receive it
 * @param type     the SSE event type, or null for the default {@code message}
 * @param retry    the reconnection time in milliseconds to announce, or -1 for none
 */
public record Update(String id, List<String> topics, String data, boolean isPrivate, String type, long retry) {

    public Update {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(data, "data");
        topics = List.copyOf(topics);
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("an update needs at least one topic");
        }
        if (type != null && type.isEmpty()) {
            type = null;
        }
    }

    public String canonicalTopic() {
        return topics.get(0);
    }
}
