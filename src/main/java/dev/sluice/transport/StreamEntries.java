package dev.sluice.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.topic.Update;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * How an update is laid out in a Redis stream entry: one field, {@value #FIELD}, holding the
 * {@link UpdateCodec} record, as in every other log. The entry's own stream id is the update's
 * position in the log.
 *
 * <p>Streams written before the record was shared hold entries of plain fields ({@code id},
 * {@code topics} as a JSON array, {@code data}, {@code private}, {@code type}, {@code retry});
 * they are still read, so an existing stream keeps its history across the upgrade.
 */
final class StreamEntries {
    static final String FIELD = "update";
    private static final ObjectMapper JSON = new ObjectMapper();

    private StreamEntries() {}

    /** The fields of the entry for XADD. */
    static Map<String, byte[]> fields(Update u) {
        return Map.of(FIELD, UpdateCodec.encode(u));
    }

    /** The update in an entry, or null when the entry is not one of ours (written by something else). */
    static Update update(Map<String, byte[]> body) {
        byte[] record = body.get(FIELD);
        if (record != null) {
            try {
                return UpdateCodec.decode(record);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return legacy(body);
    }

    private static Update legacy(Map<String, byte[]> body) {
        String id = text(body.get("id"));
        String topicsJson = text(body.get("topics"));
        if (id == null || topicsJson == null) {
            return null;
        }
        try {
            List<String> topics = List.of(JSON.readValue(topicsJson, String[].class));
            String data = text(body.get("data"));
            String retry = text(body.get("retry"));
            return new Update(id, topics, data == null ? "" : data, "1".equals(text(body.get("private"))),
                    text(body.get("type")), retry == null ? -1 : Long.parseLong(retry));
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    private static String text(byte[] value) {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /** A stream entry id, {@code ms-seq}, ordered as Redis orders them. */
    record Id(long millis, long seq) implements Comparable<Id> {
        static final Id ZERO = new Id(0, 0);

        static Id parse(String id) {
            int dash = id.indexOf('-');
            return dash < 0 ? new Id(Long.parseUnsignedLong(id), 0)
                    : new Id(Long.parseUnsignedLong(id.substring(0, dash)), Long.parseUnsignedLong(id.substring(dash + 1)));
        }

        @Override
        public int compareTo(Id o) {
            int c = Long.compareUnsigned(millis, o.millis);
            return c != 0 ? c : Long.compareUnsigned(seq, o.seq);
        }

        @Override
        public String toString() {
            return Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(seq);
        }
    }
}
