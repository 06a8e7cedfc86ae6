package dev.sluice.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request rate, {@code COUNT/UNIT}: {@code 100/s}, {@code 6000/min}, {@code 50000/h}. The count
 * is also the burst: a client that was idle may send that many at once.
 */
public record Rate(long count, Duration period, String text) {

    private static final Pattern FORM = Pattern.compile("(\\d{1,9})\\s*/\\s*([A-Za-z]+)");

    /** Parses a rate; IllegalArgumentException with a message saying what is wrong. */
    public static Rate parse(String spec) {
        Matcher m = FORM.matcher(spec.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + spec + "' is not a rate: use COUNT/UNIT, e.g. 100/s or 6000/min");
        }
        long count = Long.parseLong(m.group(1));
        if (count < 1) {
            throw new IllegalArgumentException("'" + spec + "' allows nothing: the count must be at least 1");
        }
        Duration period = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "s", "sec", "second" -> Duration.ofSeconds(1);
            case "m", "min", "minute" -> Duration.ofMinutes(1);
            case "h", "hour" -> Duration.ofHours(1);
            default -> throw new IllegalArgumentException("'" + spec + "' has an unknown unit '" + m.group(2)
                    + "': use s, min or h");
        };
        return new Rate(count, period, spec.strip());
    }

    @Override
    public String toString() {
        return text;
    }
}
