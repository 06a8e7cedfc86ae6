package dev.sluice.transport;

import dev.sluice.config.ConfigException;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JetStream stream that holds the log, as {@link NatsTransport} needs it: file storage,
 * limits retention, discard old, on one subject, keeping the last {@code --history-size} entries
 * (at least {@value #MIN_STREAM_MESSAGES}) and none older than {@code --history-max-age}.
 */
final class NatsStream {
    private static final Logger log = LoggerFactory.getLogger(NatsStream.class);

    /** The stream keeps at least this many entries, so a node that lags a little loses nothing. */
    static final int MIN_STREAM_MESSAGES = 1_000;
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int STREAM_EXISTS = 10058;

    private final String streamName;
    private final String subject;
    private final int historySize;
    private final Duration maxAge;

    NatsStream(String streamName, String subject, int historySize, Duration maxAge) {
        this.streamName = streamName;
        this.subject = subject;
        this.historySize = historySize;
        this.maxAge = maxAge;
    }

    /** Creates the stream, or brings an existing one's limits in line; refuses one that cannot be the log. */
    StreamInfo ensure(JetStreamManagement jsm) throws IOException, JetStreamApiException {
        long maxMessages = Math.max(historySize, MIN_STREAM_MESSAGES);
        StreamInfo existing;
        try {
            existing = jsm.getStreamInfo(streamName);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw e;
            }
            StreamConfiguration sc = StreamConfiguration.builder().name(streamName).subjects(subject)
                    .retentionPolicy(RetentionPolicy.Limits).discardPolicy(DiscardPolicy.Old)
                    .storageType(StorageType.File).maxMessages(maxMessages).maxAge(maxAge).build();
            try {
                StreamInfo created = jsm.addStream(sc);
                log.info("created NATS stream {} on subject {} (max {} entries{})", streamName, subject, maxMessages,
                        maxAge.isZero() ? "" : ", max age " + maxAge);
                return created;
            } catch (JetStreamApiException again) {
                if (again.getApiErrorCode() == STREAM_EXISTS) { // created by another node meanwhile
                    return ensure(jsm);
                }
                throw new ConfigException("--nats-subject", "cannot create NATS stream " + streamName + " on subject "
                        + subject + ": " + again.getErrorDescription()
                        + " (another stream may already take that subject: choose another --nats-subject)");
            }
        }
        StreamConfiguration have = existing.getConfiguration();
        if (have.getRetentionPolicy() != RetentionPolicy.Limits) {
            throw new ConfigException("--nats-stream", "NATS stream " + streamName + " exists with "
                    + have.getRetentionPolicy() + " retention; the log needs limits retention. Remove it"
                    + " (nats stream rm " + streamName + ") or choose another --nats-stream");
        }
        if (!have.getSubjects().contains(subject)) {
            throw new ConfigException("--nats-subject", "NATS stream " + streamName + " exists for subjects "
                    + have.getSubjects() + ", not " + subject + ": use one of those --nats-subject values or"
                    + " another --nats-stream");
        }
        if (have.getMaxMsgs() != maxMessages || !have.getMaxAge().equals(maxAge)
                || have.getDiscardPolicy() != DiscardPolicy.Old) {
            StreamConfiguration sc = StreamConfiguration.builder(have).maxMessages(maxMessages).maxAge(maxAge)
                    .discardPolicy(DiscardPolicy.Old).build();
            StreamInfo updated = jsm.updateStream(sc);
            log.warn("updated NATS stream {}: max entries {} -> {}, max age {} -> {} (nodes with different"
                    + " --history-size or --history-max-age undo each other's settings)", streamName,
                    have.getMaxMsgs(), maxMessages, have.getMaxAge(), maxAge);
            return updated;
        }
        return existing;
    }
}
