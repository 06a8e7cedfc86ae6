package dev.sluice.demo;

/** The bar intervals published: one second and one minute, aligned to the epoch. */
public enum BarInterval {
    SECOND("1s", 1_000), MINUTE("1m", 60_000);

    private final String label;
    private final long millis;

    BarInterval(String label, long millis) {
        this.label = label;
        this.millis = millis;
    }

    public String label() {
        return label;
    }

    public long millis() {
        return millis;
    }

    /** The start of the interval holding {@code epochMillis}. */
    long startOf(long epochMillis) {
        return Math.floorDiv(epochMillis, millis) * millis;
    }
}
