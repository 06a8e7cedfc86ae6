package dev.sluice.hub;

import java.util.HashMap;

/**
 * The bounded log of recent events, by count and by bytes, indexed by id so a resume is a lookup
 * and a ring read, never a scan for the id.
 *
 * <p>Sequence numbers are local, contiguous and increasing, so the event with sequence {@code s}
 * sits at {@code ring[s % capacity]} while {@code oldest <= s <= head}. Publishers may repeat an
 * id; the index then points at the oldest kept event carrying it, so a resume from a repeated id
 * continues after its earliest occurrence in history and sends every later event, the reuses of
 * the id included (Mercure 1.0, Reconnection). When that occurrence is evicted, the next one
 * kept becomes the earliest: each occurrence links to the next with the same id.
 *
 * <p>Not thread-safe by itself: every caller ({@link Hub} appending, {@link Replayer} reading,
 * {@link HubStats} observing, {@link Throttler}'s timer) holds the history's monitor, which is
 * also what orders events across event loops.
 */
final class History {

    private final Event[] ring;
    private final long maxBytes;
    /**
     * Per kept id: {sequence number of its oldest kept occurrence, of its newest}. Each occurrence
     * links to the next in {@link Event#nextOccurrence}, so a reuse allocates nothing.
     */
    private final HashMap<String, long[]> occurrencesById = new HashMap<>();
    /** Newest kept event per topic (canonical and alternates), for latest-value snapshots. */
    private final HashMap<String, Long> latestByTopic = new HashMap<>();
    private long oldest = 1;
    private long head;
    private long bytes;

    History(int maxCount, long maxBytes) {
        this.ring = new Event[Math.max(0, maxCount)];
        this.maxBytes = maxBytes;
    }

    /** The sequence number the next appended event must carry. */
    long nextSeq() {
        return head + 1;
    }

    /**
     * Keeps the event (taking over one reference of its chunk) and evicts what no longer fits.
     * With a zero-sized history the event is not kept and its reference is released at once.
     */
    void append(Event e) {
        head = e.seq;
        if (ring.length == 0 || e.size > maxBytes) {
            // Too big to keep: the history is empty from here on, resumes see "earliest".
            while (oldest < head) {
                evictOldest();
            }
            oldest = head + 1;
            e.chunk.release();
            return;
        }
        if (head - oldest + 1 > ring.length) {
            evictOldest();
        }
        ring[(int) (e.seq % ring.length)] = e;
        bytes += e.size;
        long[] occurrences = occurrencesById.get(e.indexKey);
        if (occurrences == null) {
            occurrencesById.put(e.indexKey, new long[] {e.seq, e.seq});
        } else {
            // The newest occurrence is kept (evicting it would have removed the entry).
            at(occurrences[1]).nextOccurrence = e.seq;
            occurrences[1] = e.seq;
        }
        for (int i = 0, n = e.topics.size(); i < n; i++) {
            latestByTopic.put(e.topics.get(i), e.seq);
        }
        while (bytes > maxBytes) {
            evictOldest();
        }
    }

    private void evictOldest() {
        if (oldest > head || ring.length == 0) {
            oldest = Math.max(oldest, head + 1);
            return;
        }
        int slot = (int) (oldest % ring.length);
        Event e = ring[slot];
        if (e != null && e.seq == oldest) {
            ring[slot] = null;
            bytes -= e.size;
            forgetOccurrence(e);
            for (int i = 0, n = e.topics.size(); i < n; i++) {
                latestByTopic.remove(e.topics.get(i), e.seq);
            }
            e.chunk.release();
        }
        oldest++;
    }

    /**
     * The evicted event was the oldest kept one, so it is the oldest kept occurrence of its id;
     * the next occurrence, if any, takes its place.
     */
    private void forgetOccurrence(Event e) {
        long[] occurrences = occurrencesById.get(e.indexKey);
        if (occurrences == null || occurrences[0] != e.seq) {
            return;
        }
        if (occurrences[1] == e.seq) {
            occurrencesById.remove(e.indexKey);
        } else {
            occurrences[0] = e.nextOccurrence;
        }
    }

    long head() {
        return head;
    }

    long oldest() {
        return oldest;
    }

    /** The event with this sequence number, or null if it is not (or no longer) kept. */
    Event at(long seq) {
        if (seq < oldest || seq > head || ring.length == 0) {
            return null;
        }
        Event e = ring[(int) (seq % ring.length)];
        return e != null && e.seq == seq ? e : null;
    }

    /** Sequence number of the oldest kept event with this id, or -1. */
    long seqOf(String id) {
        long[] occurrences = occurrencesById.get(id);
        return occurrences == null ? -1 : occurrences[0];
    }


    /** Sequence number of the newest kept event on this topic, or -1. */
    long latestOn(String topic) {
        Long seq = latestByTopic.get(topic);
        return seq == null ? -1 : seq;
    }

    /** Every topic that has a kept event, with the sequence number of its newest one. */
    java.util.Set<java.util.Map.Entry<String, Long>> latestPerTopic() {
        return latestByTopic.entrySet();
    }

    int count() {
        return oldest > head ? 0 : (int) (head - oldest + 1);
    }

    long bytes() {
        return bytes;
    }

    /** Releases every kept event; the history is empty afterwards. */
    void clear() {
        while (oldest <= head) {
            evictOldest();
        }
    }
}
