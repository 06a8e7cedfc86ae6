package dev.sluice.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration grammar of every option, variable and config key (serve, bench and token
 * alike): a number and a unit, {@code ms}, {@code s}, {@code m} or {@code h}, e.g. {@code 500ms},
 * {@code 15s}, {@code 1.5s}, {@code 2m}, {@code 1h}. The number may have a fraction; case and a
 * space before the unit do not matter. A bare {@code 0} means zero (it needs no unit); any other
 * bare number is refused rather than guessed at, since {@code 20} could mean seconds or
 * milliseconds. Negative durations are refused. The result is exact to the nanosecond.
 */
public final class Durations {

    /** Shown in --help and in every error message about a duration. */
    public static final String GRAMMAR = "a number and a unit (ms, s, m or h), e.g. 500ms, 15s, 1.5s, 2m, 1h; 0 alone"
            + " means zero";

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

    private Durations() {}

    /** @throws IllegalArgumentException naming the text and the grammar */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: write " + GRAMMAR);
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String unit = m.group(2);
        if (unit == null) {
            if (number.signum() == 0) {
                return Duration.ZERO;
            }
            throw new IllegalArgumentException("'" + text + "' has no unit: write e.g. " + m.group(1) + "s or "
                    + m.group(1) + "ms");
        }
        long nanosPerUnit = switch (unit) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
        };
        BigDecimal nanos = number.multiply(BigDecimal.valueOf(nanosPerUnit));
        try {
            return Duration.ofNanos(nanos.longValueExact());
        } catch (ArithmeticException e) {
            if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                throw new IllegalArgumentException("'" + text + "' is too long a duration (at most about 292 years)");
            }
            throw new IllegalArgumentException("'" + text + "' is finer than a nanosecond");
        }
    }
}
