package dev.sluice.demo;

/** Prices in ticks of 0.01, written as decimal numbers (never a binary fraction such as 0.30000000000000004). */
final class Ticks {

    private Ticks() {}

    /** {@code 22950} as {@code 229.50}; {@code -5} as {@code -0.05}. */
    static void append(StringBuilder out, long ticks) {
        if (ticks < 0) {
            out.append('-');
            ticks = -ticks;
        }
        out.append(ticks / 100).append('.');
        long cents = ticks % 100;
        if (cents < 10) {
            out.append('0');
        }
        out.append(cents);
    }

    static String format(long ticks) {
        StringBuilder sb = new StringBuilder(12);
        append(sb, ticks);
        return sb.toString();
    }
}
