package dev.sluice.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.topic.Update;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How an update is laid out in a Redis stream entry: plain fields, readable with {@code redis-cli
 * XRANGE}. {@code id} (the update's id, which publishers may repeat), {@code topics} (a JSON array:
 * topics are arbitrary strings and a stream entry cannot repeat a field), {@code data},
 * {@code private} ({@code 1} or absent), {@code type} and {@code retry} (absent when unset). The
 * entry's own stream id is the update's position in the log.
 */
final class StreamEntries {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StreamEntries() {}

    /** Field, value, field, value... for XADD. */
    static Object[] fields(Update u) {
        List<Object> kv = new ArrayList<>(12);
        kv.add("id");
        kv.add(u.id());
        kv.add("topics");
        try {
            kv.add(JSON.writeValueAsString(u.topics()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("topics cannot be written as JSON", e);
        }
        kv.add("data");
        kv.add(u.data());
        if (u.isPrivate()) {
            kv.add("private");
            kv.add("1");
        }
        if (u.type() != null) {
            kv.add("type");
            kv.add(u.type());
        }
        if (u.retry() >= 0) {
            kv.add("retry");
            kv.add(Long.toString(u.retry()));
        }
        return kv.toArray();
    }

    /** The update in an entry, or null when the entry is not one of ours (written by something else). */
    static Update update(Map<String, String> body) {
        String id = body.get("id");
        String topicsJson = body.get("topics");
        if (id == null || topicsJson == null) {
            return null;
        }
        try {
            List<String> topics = List.of(JSON.readValue(topicsJson, String[].class));
            String retry = body.get("retry");
            return new Update(id, topics, body.getOrDefault("data", ""), "1".equals(body.get("private")),
                    body.get("type"), retry == null ? -1 : Long.parseLong(retry));
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    /** Compares two stream entry ids ({@code ms-seq}) numerically. */
    static int compare(String a, String b) {
        int da = a.indexOf('-');
        int db = b.indexOf('-');
        long ma = Long.parseUnsignedLong(da < 0 ? a : a.substring(0, da));
        long mb = Long.parseUnsignedLong(db < 0 ? b : b.substring(0, db));
        if (ma != mb) {
            return Long.compareUnsigned(ma, mb);
        }
        long sa = da < 0 ? 0 : Long.parseUnsignedLong(a.substring(da + 1));
        long sb = db < 0 ? 0 : Long.parseUnsignedLong(b.substring(db + 1));
        return Long.compareUnsigned(sa, sb);
    }
}
