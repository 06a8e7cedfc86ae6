package dev.sluice.ops;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One log event as one line of JSON: {@code time} (ISO-8601, UTC), {@code level}, {@code logger},
 * {@code thread}, {@code message}, then the event's key-value pairs as fields of their own (numbers
 * and booleans as such, anything else as a string), and {@code error} with the stack trace when
 * there is one. A key that would overwrite one of the fixed fields is written with a {@code kv_}
 * prefix instead. Written by Jackson, so any message, however odd its characters, stays one valid
 * line.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {

    private static final Set<String> FIXED = Set.of("time", "level", "logger", "thread", "message", "error");
    private static final byte[] NO_BYTES = new byte[0];
    private final JsonFactory json = new JsonFactory();

    @Override
    public byte[] headerBytes() {
        return NO_BYTES;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
            g.writeStringField("level", event.getLevel().toString());
            g.writeStringField("logger", event.getLoggerName());
            g.writeStringField("thread", event.getThreadName());
            g.writeStringField("message", event.getFormattedMessage());
            if (event.getKeyValuePairs() != null) {
                for (KeyValuePair kv : event.getKeyValuePairs()) {
                    String key = FIXED.contains(kv.key) ? "kv_" + kv.key : kv.key;
                    Object v = kv.value;
                    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                        g.writeNumberField(key, ((Number) v).longValue());
                    } else if (v instanceof Double || v instanceof Float) {
                        g.writeNumberField(key, ((Number) v).doubleValue());
                    } else if (v instanceof Boolean b) {
                        g.writeBooleanField(key, b);
                    } else if (v == null) {
                        g.writeNullField(key);
                    } else {
                        g.writeStringField(key, String.valueOf(v));
                    }
                }
            }
            IThrowableProxy error = event.getThrowableProxy();
            if (error != null) {
                g.writeStringField("error", ThrowableProxyUtil.asString(error));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    @Override
    public byte[] footerBytes() {
        return NO_BYTES;
    }
}
