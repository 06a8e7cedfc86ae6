package dev.sluice.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An SSE client that does what a browser's EventSource behind a client-side node list does:
 * reads one node until the stream ends, then reconnects to the next node in round-robin order
 * with the id of the last event it received as {@code Last-Event-ID}, after a short delay.
 * It keeps every event's data, in arrival order, across all its connections.
 */
public final class FailoverSubscriber implements AutoCloseable {
    private final List<URI> nodes;
    private final String query;
    private final long reconnectDelayMillis;
    private final HttpClient http;
    private final Thread thread;
    private volatile boolean closed;
    private volatile InputStream current;

    public final List<String> received = new CopyOnWriteArrayList<>();
    public final AtomicInteger connections = new AtomicInteger();
    /** When the latest connection got its 200 (System.nanoTime), and the node it went to. */
    public volatile long connectedAtNanos;
    public volatile int node;
    private volatile String lastId;

    public FailoverSubscriber(HttpClient http, List<URI> nodes, int firstNode, String query, long reconnectDelayMillis) {
        this.http = http;
        this.nodes = List.copyOf(nodes);
        this.node = firstNode;
        this.query = query;
        this.reconnectDelayMillis = reconnectDelayMillis;
        this.thread = Thread.ofVirtual().start(this::run);
    }

    private void run() {
        while (!closed) {
            try {
                HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(nodes.get(node) + "?" + query))
                        .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(10)).GET();
                if (lastId != null) {
                    r.header("Last-Event-ID", lastId);
                }
                HttpResponse<InputStream> res = http.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
                if (res.statusCode() == 200) {
                    connectedAtNanos = System.nanoTime();
                    connections.incrementAndGet();
                    current = res.body();
                    read(res.body());
                } else {
                    res.body().close();
                }
            } catch (IOException e) {
                // refused or reset: try the next node
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            node = (node + 1) % nodes.size();
            try {
                Thread.sleep(reconnectDelayMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Reads the stream on this thread, taking events as the parser dispatches them. */
    private void read(InputStream body) {
        SseReader reader = new SseReader();
        Thread parser = Thread.ofVirtual().start(() -> reader.readAll(body));
        try {
            while (!(reader.ended && reader.events.isEmpty())) {
                SseEvent e = reader.next(50);
                if (e != null) {
                    received.add(e.data());
                    lastId = e.id();
                }
            }
            parser.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int count() {
        return received.size();
    }

    @Override
    public void close() throws Exception {
        closed = true;
        InputStream in = current;
        if (in != null) {
            in.close();
        }
        thread.interrupt();
    }
}
