package dev.sluice.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log set-up of {@code sluice serve} ({@code --log-format}), made in code so the option alone
 * decides it: INFO and above on stderr, either as plain lines
 * ({@code 12:00:00.000 [thread] INFO logger - message}, as the gateway has always written them) or
 * as one JSON object per line ({@link JsonLineEncoder}). The configuration file bundled in the jar
 * ({@code logback.xml}) covers an embedded gateway; a {@code -Dlogback.configurationFile} given to
 * the JVM wins over both.
 */
public final class Logging {

    /** The plain format: time of day, thread, level, logger, message. */
    static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} [%thread] %level %logger - %msg%n";

    private Logging() {}

    /** Replaces the logging set-up with the one of {@code format} ({@code text} or {@code json}). */
    public static void configure(String format) {
        if (System.getProperty("logback.configurationFile") != null
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // the operator's own configuration, or another SLF4J provider: leave it alone
        }
        context.reset();
        Encoder<ILoggingEvent> encoder;
        if (format.equals("json")) {
            encoder = new JsonLineEncoder();
        } else {
            PatternLayoutEncoder pattern = new PatternLayoutEncoder();
            pattern.setPattern(TEXT_PATTERN);
            encoder = pattern;
        }
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("stderr");
        console.setTarget("System.err");
        console.setEncoder(encoder);
        console.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
    }
}
