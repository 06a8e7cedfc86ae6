package dev.sluice.hub;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the hub needs to know, by name: history bounds, the slow-subscriber budget, the stream's
 * fixed hints, replay pacing, conflation and throttling, and the dispatch inbox bound. Built with
 * {@link #builder()}; every field has the gateway's default.
 */
public final class HubSettings {
    final int historySize;
    final long historyMaxBytes;
    final long subscriberBudgetBytes;
    final Duration heartbeat;
    final long retryMillis;
    final long reconnectRetryMillis;
    final Duration closeGrace;
    final int replayBatch;
    final List<String> conflate;
    final boolean conflateAll;
    final Map<String, Duration> throttle;
    final int maxQueuedPerLoop;
    /** Event type of the block carrying a stream's position, or null for an id-only block. */
    final String positionEvent;
    /** Streams end after this age plus up to {@link #MAX_AGE_JITTER} of it; zero for never. */
    final Duration maxConnectionAge;
    /** Partitions of the log (1: one log, ids are update ids; more: ids are positions). */
    final int partitions;

    /** The largest random part added to {@code maxConnectionAge}, as a fraction of it. */
    public static final double MAX_AGE_JITTER = 0.10;

    private HubSettings(Builder b) {
        this.historySize = b.historySize;
        this.historyMaxBytes = b.historyMaxBytes;
        this.subscriberBudgetBytes = b.subscriberBudgetBytes;
        this.heartbeat = Objects.requireNonNull(b.heartbeat, "heartbeat");
        this.retryMillis = b.retryMillis;
        this.reconnectRetryMillis = b.reconnectRetryMillis;
        this.closeGrace = Objects.requireNonNull(b.closeGrace, "closeGrace");
        this.replayBatch = b.replayBatch;
        this.conflate = List.copyOf(b.conflate);
        this.conflateAll = b.conflateAll;
        this.throttle = Collections.unmodifiableMap(new LinkedHashMap<>(b.throttle));
        this.maxQueuedPerLoop = b.maxQueuedPerLoop;
        this.positionEvent = b.positionEvent;
        this.maxConnectionAge = Objects.requireNonNull(b.maxConnectionAge, "maxConnectionAge");
        this.partitions = b.partitions;
        if (positionEvent != null && (positionEvent.isEmpty() || positionEvent.equals("message")
                || positionEvent.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0))) {
            // On the wire: one event field line, and a type no onmessage handler receives.
            throw new IllegalArgumentException("position event type must be one line, not empty and not 'message',"
                    + " got '" + positionEvent + "'");
        }
        if (historySize < 0 || historyMaxBytes < 0 || subscriberBudgetBytes <= 0 || replayBatch <= 0
                || maxQueuedPerLoop <= 0 || heartbeat.isNegative() || closeGrace.isNegative()
                || maxConnectionAge.isNegative() || partitions < 1 || partitions > 64) {
            throw new IllegalArgumentException("hub settings out of range: " + this);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public long subscriberBudgetBytes() {
        return subscriberBudgetBytes;
    }

    @Override
    public String toString() {
        return "HubSettings[historySize=" + historySize + ", historyMaxBytes=" + historyMaxBytes
                + ", subscriberBudget=" + subscriberBudgetBytes + ", heartbeat=" + heartbeat + ", retry=" + retryMillis
                + ", reconnectRetry=" + reconnectRetryMillis + ", closeGrace=" + closeGrace + ", replayBatch="
                + replayBatch + ", conflate=" + conflate + ", conflateAll=" + conflateAll + ", throttle=" + throttle
                + ", maxQueuedPerLoop=" + maxQueuedPerLoop + ", positionEvent=" + positionEvent
                + ", maxConnectionAge=" + maxConnectionAge + ", partitions=" + partitions + "]";
    }

    /** Defaults are the gateway's own (see {@code Config}). */
    public static final class Builder {
        private int historySize = 10_000;
        private long historyMaxBytes = 64L << 20;
        private long subscriberBudgetBytes = 256 << 10;
        private Duration heartbeat = Duration.ofSeconds(15);
        private long retryMillis = 2000;
        private long reconnectRetryMillis = 500;
        private Duration closeGrace = Duration.ofSeconds(10);
        private int replayBatch = 256;
        private List<String> conflate = List.of();
        private boolean conflateAll;
        private Map<String, Duration> throttle = Map.of();
        private int maxQueuedPerLoop = 8192;
        private String positionEvent;
        private Duration maxConnectionAge = Duration.ZERO;
        private int partitions = 1;

        private Builder() {
        }

        /** Most events kept for resumes (0: none). */
        public Builder historySize(int v) { historySize = v; return this; }
        /** Most bytes of encoded events kept for resumes. */
        public Builder historyMaxBytes(long v) { historyMaxBytes = v; return this; }
        /** Bytes that may wait for one subscriber beyond the largest event among them. */
        public Builder subscriberBudget(long v) { subscriberBudgetBytes = v; return this; }
        /** Comment sent on idle streams this often; zero for none. */
        public Builder heartbeat(Duration v) { heartbeat = v; return this; }
        /** The {@code retry:} hint at the start of every stream. */
        public Builder retryMillis(long v) { retryMillis = v; return this; }
        /** The {@code retry:} hint sent to a stream the hub ends (slow, expired, overloaded). */
        public Builder reconnectRetryMillis(long v) { reconnectRetryMillis = v; return this; }
        /** How long a stream the hub ends may take to read its last bytes before it is cut. */
        public Builder closeGrace(Duration v) { closeGrace = v; return this; }
        /** Events per replay turn. */
        public Builder replayBatch(int v) { replayBatch = v; return this; }
        /** Selectors whose topics a behind subscriber gets only the latest update of. */
        public Builder conflate(List<String> v) { conflate = v; return this; }
        /** Conflate every topic. */
        public Builder conflateAll(boolean v) { conflateAll = v; return this; }
        /** At most one live update per interval for topics matching each selector. */
        public Builder throttle(Map<String, Duration> v) { throttle = v; return this; }
        /** Events one event loop's inbox may hold before it drops them and replays from history. */
        public Builder maxQueuedPerLoop(int v) { maxQueuedPerLoop = v; return this; }
        /**
         * Send a stream's position as an event of this type with empty data instead of an id-only
         * block, for clients that ignore id-only blocks; null (the default) for the id-only block.
         */
        public Builder positionEvent(String v) { positionEvent = v; return this; }
        /**
         * End every stream after this age plus a random part of up to 10 % of it (so streams opened
         * together do not all reconnect together), with a {@code retry:} hint; zero (the default)
         * for never.
         */
        public Builder maxConnectionAge(Duration v) { maxConnectionAge = v; return this; }

        /**
         * Partitions of the log: above 1, every update the transport hands over has a position
         * (see {@link dev.sluice.topic.Partitions}) as its id, and resumes read it.
         */
        public Builder partitions(int v) { partitions = v; return this; }

        public HubSettings build() {
            return new HubSettings(this);
        }
    }
}
