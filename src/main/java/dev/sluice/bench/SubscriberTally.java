package dev.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * What the subscribers of one process saw, counted against the run's expected updates: the part
 * of a report that a worker process sends to the coordinator, and that the coordinator adds up
 * over all workers. Every count covers every subscriber of the process: a subscriber that opened
 * and then missed an update counts it missed.
 *
 * @param subscribers     subscribers this process was given
 * @param opened          of those, how many ever had their stream open (the others failed to connect)
 * @param connectSeconds  how long connecting them took
 */
record SubscriberTally(int subscribers, long opened, long attempted, long established, Map<String, Long> failures,
                       long reconnects, long streamEnds, long churnCycles, Histogram connect, Histogram latencyFast,
                       Histogram latencySlow, long expected, long received, long missed, long duplicated,
                       long outOfOrder, long unexpected, int slowSubscribers, long slowEnds, long slowMissed,
                       long slowDuplicated, long fastMissed, double connectSeconds, List<String> notes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    SubscriberTally {
        failures = Map.copyOf(failures);
        notes = List.copyOf(notes);
    }

    static SubscriberTally empty() {
        return new SubscriberTally(0, 0, 0, 0, Map.of(), 0, 0, 0, LoopStats.histogram(), LoopStats.histogram(),
                LoopStats.histogram(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of());
    }

    /**
     * The subscribers of a worker that never reported: nothing is known of what they received, so
     * each is taken to have missed every expected update of its topics.
     */
    static SubscriberTally lost(int subscribers, long expected, String why) {
        return new SubscriberTally(subscribers, 0, 0, 0, Map.of("worker-lost", (long) subscribers), 0, 0, 0,
                LoopStats.histogram(), LoopStats.histogram(), LoopStats.histogram(), expected, 0, expected, 0, 0, 0,
                0, 0, 0, 0, expected, 0, List.of(why));
    }

    /** The sum of two processes' tallies (histograms merged, so percentiles are of all events). */
    SubscriberTally plus(SubscriberTally o) {
        Map<String, Long> f = new TreeMap<>(failures);
        o.failures.forEach((k, v) -> f.merge(k, v, Long::sum));
        List<String> n = new ArrayList<>(notes);
        n.addAll(o.notes);
        return new SubscriberTally(subscribers + o.subscribers, opened + o.opened, attempted + o.attempted,
                established + o.established, f, reconnects + o.reconnects, streamEnds + o.streamEnds,
                churnCycles + o.churnCycles, merged(connect, o.connect), merged(latencyFast, o.latencyFast),
                merged(latencySlow, o.latencySlow), expected + o.expected, received + o.received, missed + o.missed,
                duplicated + o.duplicated, outOfOrder + o.outOfOrder, unexpected + o.unexpected,
                slowSubscribers + o.slowSubscribers, slowEnds + o.slowEnds, slowMissed + o.slowMissed,
                slowDuplicated + o.slowDuplicated, fastMissed + o.fastMissed,
                Math.max(connectSeconds, o.connectSeconds), n);
    }

    private static Histogram merged(Histogram a, Histogram b) {
        Histogram h = LoopStats.histogram();
        h.add(a);
        h.add(b);
        return h;
    }

    String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("subscribers", subscribers).put("opened", opened).put("attempted", attempted)
                .put("established", established).put("reconnects", reconnects).put("streamEnds", streamEnds)
                .put("churnCycles", churnCycles).put("expected", expected).put("received", received)
                .put("missed", missed).put("duplicated", duplicated).put("outOfOrder", outOfOrder)
                .put("unexpected", unexpected).put("slowSubscribers", slowSubscribers).put("slowEnds", slowEnds)
                .put("slowMissed", slowMissed).put("slowDuplicated", slowDuplicated).put("fastMissed", fastMissed)
                .put("connectSeconds", connectSeconds)
                .put("connect", encode(connect)).put("latencyFast", encode(latencyFast))
                .put("latencySlow", encode(latencySlow));
        ObjectNode f = n.putObject("failures");
        failures.forEach(f::put);
        var a = n.putArray("notes");
        notes.forEach(a::add);
        return n.toString();
    }

    /** Reads what {@link #toJson()} wrote; throws IllegalArgumentException saying what is wrong. */
    static SubscriberTally fromJson(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            Map<String, Long> failures = new TreeMap<>();
            n.required("failures").properties().forEach(e -> failures.put(e.getKey(), e.getValue().asLong()));
            List<String> notes = new ArrayList<>();
            n.required("notes").forEach(e -> notes.add(e.asText()));
            return new SubscriberTally(n.required("subscribers").asInt(), n.required("opened").asLong(),
                    n.required("attempted").asLong(), n.required("established").asLong(), failures,
                    n.required("reconnects").asLong(), n.required("streamEnds").asLong(),
                    n.required("churnCycles").asLong(), decode(n.required("connect").asText()),
                    decode(n.required("latencyFast").asText()), decode(n.required("latencySlow").asText()),
                    n.required("expected").asLong(), n.required("received").asLong(), n.required("missed").asLong(),
                    n.required("duplicated").asLong(), n.required("outOfOrder").asLong(),
                    n.required("unexpected").asLong(), n.required("slowSubscribers").asInt(),
                    n.required("slowEnds").asLong(), n.required("slowMissed").asLong(),
                    n.required("slowDuplicated").asLong(), n.required("fastMissed").asLong(),
                    n.required("connectSeconds").asDouble(), notes);
        } catch (IOException | IllegalArgumentException | DataFormatException e) {
            throw new IllegalArgumentException("unreadable worker result: " + e.getMessage(), e);
        }
    }

    private static String encode(Histogram h) {
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(buf);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), n));
    }

    private static Histogram decode(String base64) throws DataFormatException {
        return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)),
                LoopStats.MAX_MICROS);
    }
}
