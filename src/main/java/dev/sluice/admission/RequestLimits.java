package dev.sluice.admission;

import dev.sluice.config.Config;
import dev.sluice.metrics.GatewayMetrics;
import io.micrometer.core.instrument.Counter;

/**
 * The size and time limits of one request, whoever sends it: request line, headers, body, topics
 * per subscription and per update, the length of an update's {@code id} and {@code type}, and the
 * time to send a request head. Each check answers null (within the limit) or a {@link Refusal}
 * whose message names the option; each refusal is counted in
 * {@code sluice_admission_refused_total{reason}}. The HTTP codec enforces the line, header and
 * body limits itself and reports them through the {@code count…} methods.
 */
public final class RequestLimits {

    public static final String URL_LENGTH = "url_length";
    public static final String HEADER_SIZE = "header_size";
    public static final String BODY_SIZE = "body_size";
    public static final String TOPICS_PER_SUBSCRIPTION = "topics_per_subscription";
    public static final String TOPICS_PER_UPDATE = "topics_per_update";
    public static final String ID_LENGTH = "id_length";
    public static final String TYPE_LENGTH = "type_length";
    public static final String HEADER_TIMEOUT = "header_timeout";
    public static final String BODY_TIMEOUT = "body_timeout";

    private final int maxUrlLength;
    private final int maxHeaderSize;
    private final int maxTopicsPerUpdate;
    private final int maxIdLength;
    private final int maxTypeLength;
    private final Counter urlLength;
    private final Counter headerSize;
    private final Counter bodySize;
    private final Counter topicsPerSubscription;
    private final Counter topicsPerUpdate;
    private final Counter idLength;
    private final Counter typeLength;
    private final Counter headerTimeout;
    private final Counter bodyTimeout;

    public RequestLimits(Config config, GatewayMetrics metrics) {
        this.maxUrlLength = config.maxUrlLength();
        this.maxHeaderSize = config.maxHeaderSize();
        this.maxTopicsPerUpdate = config.maxTopicsPerUpdate();
        this.maxIdLength = config.maxIdLength();
        this.maxTypeLength = config.maxTypeLength();
        this.urlLength = metrics.admissionRefused(URL_LENGTH);
        this.headerSize = metrics.admissionRefused(HEADER_SIZE);
        this.bodySize = metrics.admissionRefused(BODY_SIZE);
        this.topicsPerSubscription = metrics.admissionRefused(TOPICS_PER_SUBSCRIPTION);
        this.topicsPerUpdate = metrics.admissionRefused(TOPICS_PER_UPDATE);
        this.idLength = metrics.admissionRefused(ID_LENGTH);
        this.typeLength = metrics.admissionRefused(TYPE_LENGTH);
        this.headerTimeout = metrics.admissionRefused(HEADER_TIMEOUT);
        this.bodyTimeout = metrics.admissionRefused(BODY_TIMEOUT);
    }

    public int maxUrlLength() {
        return maxUrlLength;
    }

    public int maxHeaderSize() {
        return maxHeaderSize;
    }

    /** The 414 for a request line over {@code --max-url-length}; counted. */
    public Refusal urlTooLong() {
        urlLength.increment();
        return new Refusal(414, URL_LENGTH, "The request line (method, URL and version) is longer than "
                + maxUrlLength + " bytes (--max-url-length); send a shorter URL.", 0);
    }

    /** The 431 for request headers over {@code --max-header-size}; counted. */
    public Refusal headersTooLarge() {
        headerSize.increment();
        return new Refusal(431, HEADER_SIZE, "The request headers are larger than " + maxHeaderSize
                + " bytes in all (--max-header-size).", 0);
    }

    /** Counts a body refused for {@code --max-body-size} (the codec answers it). */
    public void countBodyTooLarge() {
        bodySize.increment();
    }

    /** Counts a request head that was not complete within {@code --header-timeout}. */
    public void countHeaderTimeout() {
        headerTimeout.increment();
    }

    /** Counts a request body that stalled for {@code --idle-timeout}. */
    public void countBodyTimeout() {
        bodyTimeout.increment();
    }

    /**
     * Counts a subscription refused for naming more than {@code --max-topics-per-subscription}
     * topics or matchers (the subscribe endpoint answers it, in the request's dialect).
     */
    public void countTopicsPerSubscription() {
        topicsPerSubscription.increment();
    }

    /**
     * Null when an update may have this many {@code topic} fields, else a 413 (Mercure 1.0: a
     * publish over a topic count or field length limit is "Content Too Large", as its body size).
     */
    public Refusal topicsPerUpdate(int topics) {
        if (topics <= maxTopicsPerUpdate) {
            return null;
        }
        topicsPerUpdate.increment();
        return new Refusal(413, TOPICS_PER_UPDATE, "Too many 'topic' fields: " + topics + " given, at most "
                + maxTopicsPerUpdate + " allowed in one update (--max-topics-per-update).", 0);
    }

    /** Null when an update's {@code id} is short enough, else a 413. */
    public Refusal idLength(String id) {
        if (id == null || id.length() <= maxIdLength) {
            return null;
        }
        idLength.increment();
        return new Refusal(413, ID_LENGTH, "Invalid 'id': it is " + id.length() + " characters long; at most "
                + maxIdLength + " are allowed (--max-id-length).", 0);
    }

    /** Null when an update's {@code type} is short enough, else a 413. */
    public Refusal typeLength(String type) {
        if (type == null || type.length() <= maxTypeLength) {
            return null;
        }
        typeLength.increment();
        return new Refusal(413, TYPE_LENGTH, "Invalid 'type': it is " + type.length() + " characters long; at most "
                + maxTypeLength + " are allowed (--max-type-length).", 0);
    }
}
