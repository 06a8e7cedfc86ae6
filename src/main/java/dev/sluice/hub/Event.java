package dev.sluice.hub;

import dev.sluice.topic.Update;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * An update as the hub keeps it: its place in the local log ({@link #seq}, gap-free and
 * increasing), what matching needs, and the SSE bytes encoded once.
 *
 * <p>{@link #chunk} is reference counted. The history owns one reference for as long as it keeps
 * the event; a loop dispatcher holds one while the event waits in its inbox; every write to a
 * subscriber is a recycled retained duplicate that the channel releases once written.
 */
public final class Event {
    final long seq;
    final String id;
    final List<String> topics;
    final boolean isPrivate;
    final ByteBuf chunk;
    final int size;
    /**
     * The canonical topic when this event may be conflated (a slow subscriber keeps only the
     * latest pending event per key), else null.
     */
    final String conflateKey;

    Event(long seq, Update update, ByteBuf chunk) {
        this(seq, update, chunk, null);
    }

    Event(long seq, Update update, ByteBuf chunk, String conflateKey) {
        this.conflateKey = conflateKey;
        this.seq = seq;
        this.id = update.id();
        this.topics = update.topics();
        this.isPrivate = update.isPrivate();
        this.chunk = chunk;
        this.size = chunk.readableBytes();
    }

    public long seq() {
        return seq;
    }

    public String id() {
        return id;
    }

    public List<String> topics() {
        return topics;
    }

    public boolean isPrivate() {
        return isPrivate;
    }

    /** Bytes this event takes on the wire (as one chunk). */
    public int size() {
        return size;
    }
}
