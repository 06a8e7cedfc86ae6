package dev.sluice.demo;

/**
 * The open, high, low and close trade prices, the shares traded and the number of trades of one
 * symbol in one interval {@code [start, start + interval)}, as published on
 * {@code bars/1s/{SYMBOL}} and {@code bars/1m/{SYMBOL}}. An interval without trades is a flat bar
 * at the previous close with volume and trades 0, so a chart has no holes and {@code seq} has no
 * jumps.
 *
 * @param seq 1, 2, 3… per symbol and interval
 */
public record Bar(String symbol, BarInterval interval, long seq, long start, long open, long high, long low,
                  long close, long volume, int trades) {

    /** The JSON published: symbol, interval, seq, start, open, high, low, close, volume, trades. */
    public String json() {
        StringBuilder sb = new StringBuilder(180);
        sb.append("{\"symbol\":\"").append(symbol).append("\",\"interval\":\"").append(interval.label())
                .append("\",\"seq\":").append(seq).append(",\"start\":").append(start).append(",\"open\":");
        Ticks.append(sb, open);
        sb.append(",\"high\":");
        Ticks.append(sb, high);
        sb.append(",\"low\":");
        Ticks.append(sb, low);
        sb.append(",\"close\":");
        Ticks.append(sb, close);
        sb.append(",\"volume\":").append(volume).append(",\"trades\":").append(trades).append('}');
        return sb.toString();
    }
}
