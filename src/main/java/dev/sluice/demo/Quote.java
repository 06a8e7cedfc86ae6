package dev.sluice.demo;

/**
 * One simulated trade and the book around it, as published on {@code quotes/{SYMBOL}}.
 *
 * @param seq       1, 2, 3… per symbol: a subscriber that sees every quote sees no jump
 * @param ts        when it happened, epoch milliseconds
 * @param last      trade price in ticks (0.01)
 * @param bid       best bid in ticks, never above {@code last}
 * @param ask       best ask in ticks, never below {@code last}
 * @param change    {@code last} minus the day's opening price, in ticks
 * @param changeBp  that change in hundredths of a percent (123 is 1.23 %)
 * @param size      shares in this trade
 * @param volume    shares traded today up to and including this trade
 */
public record Quote(String symbol, long seq, long ts, long last, long bid, long ask, long change, long changeBp,
                    long size, long volume) {

    /** The JSON published: symbol, seq, ts, last, bid, ask, change, changePct, size, volume. */
    public String json() {
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"symbol\":\"").append(symbol).append("\",\"seq\":").append(seq).append(",\"ts\":").append(ts)
                .append(",\"last\":");
        Ticks.append(sb, last);
        sb.append(",\"bid\":");
        Ticks.append(sb, bid);
        sb.append(",\"ask\":");
        Ticks.append(sb, ask);
        sb.append(",\"change\":");
        Ticks.append(sb, change);
        sb.append(",\"changePct\":");
        Ticks.append(sb, changeBp);
        sb.append(",\"size\":").append(size).append(",\"volume\":").append(volume).append('}');
        return sb.toString();
    }
}
