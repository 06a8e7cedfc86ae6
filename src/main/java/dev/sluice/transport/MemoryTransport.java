package dev.sluice.transport;

import dev.sluice.topic.Update;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The default transport: the log is the hub's in-memory history, nothing leaves the process.
 *
 * <p>Publishes from all event loops are serialised by this object's monitor so the sink sees one
 * thread at a time, in the order the log gets them. The sink only encodes and enqueues, so the
 * monitor is held for microseconds.
 */
public final class MemoryTransport implements Transport {

    private volatile Consumer<Update> sink;

    @Override
    public void start(Consumer<Update> sink) {
        this.sink = sink;
    }

    @Override
    public CompletableFuture<Update> publish(Update update) {
        Consumer<Update> s = sink;
        if (s == null) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("the hub is not started yet"));
        }
        synchronized (this) {
            s.accept(update);
        }
        return CompletableFuture.completedFuture(update);
    }

    @Override
    public boolean isReady() {
        return sink != null;
    }

    @Override
    public String describe() {
        return "memory";
    }

    @Override
    public void close() {
        sink = null;
    }
}
