package dev.sluice.demo;

/**
 * The demo's topic URIs. A URI template such as {@code https://sluice.example/quotes/{symbol}}
 * subscribes to every symbol at once.
 */
public final class Topics {

    public static final String BASE = "https://sluice.example/";
    /** Every symbol's quotes, as a URI template. */
    public static final String ALL_QUOTES = BASE + "quotes/{symbol}";

    private Topics() {}

    public static String quotes(String symbol) {
        return BASE + "quotes/" + symbol;
    }

    public static String bars(BarInterval interval, String symbol) {
        return BASE + "bars/" + interval.label() + "/" + symbol;
    }
}
