package dev.sluice.demo;

import java.util.List;
import java.util.PriorityQueue;

/**
 * The simulated market of several symbols: their trades in time order, and their 1-second and
 * 1-minute bars, each closed (published) before the first trade of a later interval and as soon
 * as the clock passes its end. Not thread-safe: one thread advances it.
 *
 * <p>The order of events depends only on the seed and the symbols, never on how often
 * {@link #advanceTo} is called: everything due up to the given time is produced in time order.
 */
public final class Market {

    /** Something to publish: its topic and its JSON data. */
    public record Message(String topic, String data, boolean quote) {}

    /** Receives the messages in order. */
    public interface Sink {
        void accept(Message message) throws InterruptedException;
    }

    private final long origin;
    private final PriorityQueue<Entry> due = new PriorityQueue<>((a, b) -> Double.compare(a.path.nextArrival(),
            b.path.nextArrival()) != 0 ? Double.compare(a.path.nextArrival(), b.path.nextArrival())
            : a.order - b.order);
    private final Entry[] entries;
    private long quotes;
    private long bars;

    private static final class Entry {
        final PricePath path;
        final int order;
        final BarBuilder seconds;
        final BarBuilder minutes;

        Entry(PricePath path, int order, long origin) {
            this.path = path;
            this.order = order;
            this.seconds = new BarBuilder(path.spec().symbol(), BarInterval.SECOND, origin, path.spec().startTicks());
            this.minutes = new BarBuilder(path.spec().symbol(), BarInterval.MINUTE, origin, path.spec().startTicks());
        }
    }

    /**
     * @param origin the time the market opens, epoch ms (trades happen after it)
     */
    public Market(List<SymbolSpec> symbols, DemoSettings settings, long origin) {
        this.origin = origin;
        this.entries = new Entry[symbols.size()];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = new Entry(new PricePath(symbols.get(i), settings.seed(), settings.ratePerSymbol(),
                    settings.speed(), settings.burstEverySeconds()), i, origin);
            due.add(entries[i]);
        }
    }

    /**
     * Produces, in time order, at most {@code limit} messages: the trades due up to {@code now}
     * (epoch ms) and the bars that end before it. Returns how many it produced; fewer than
     * {@code limit} means the market has caught up with {@code now}.
     */
    public int advanceTo(long now, int limit, Sink sink) throws InterruptedException {
        int produced = 0;
        while (produced < limit && !due.isEmpty()) {
            Entry next = due.peek();
            long tradeAt = origin + (long) Math.floor(next.path.nextArrival());
            long barEnd = entries[0].seconds.end(); // every symbol's bars share their boundaries
            if (barEnd <= tradeAt && barEnd <= now) {
                produced += closeBars(sink);
                continue;
            }
            if (tradeAt > now) {
                break;
            }
            due.poll();
            Quote q = next.path.trade(origin);
            due.add(next);
            next.seconds.add(q);
            next.minutes.add(q);
            quotes++;
            sink.accept(new Message(Topics.quotes(q.symbol()), q.json(), true));
            produced++;
        }
        return produced;
    }

    /**
     * Closes every symbol's 1 s bar, and the 1 m bars when they end at the same instant, in symbol
     * order (a bar close may go past the limit of {@link #advanceTo}: it is one step).
     */
    private int closeBars(Sink sink) throws InterruptedException {
        int n = 0;
        boolean minute = entries[0].minutes.end() == entries[0].seconds.end();
        for (Entry e : entries) {
            emit(sink, e.seconds.close());
            n++;
        }
        if (minute) {
            for (Entry e : entries) {
                emit(sink, e.minutes.close());
                n++;
            }
        }
        return n;
    }

    private void emit(Sink sink, Bar bar) throws InterruptedException {
        bars++;
        sink.accept(new Message(Topics.bars(bar.interval(), bar.symbol()), bar.json(), false));
    }

    public long quotes() {
        return quotes;
    }

    public long bars() {
        return bars;
    }
}
