package dev.sluice.support;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** An open subscription read by the JDK HttpClient in a background thread. */
public final class SseStream implements AutoCloseable {
    public final HttpResponse<InputStream> response;
    public final SseReader reader = new SseReader();
    private final Thread thread;

    public SseStream(HttpResponse<InputStream> response) {
        this.response = response;
        this.thread = Thread.ofVirtual().start(() -> reader.readAll(response.body()));
    }

    /** The next event, failing the test if none arrives in time. */
    public SseEvent next() throws InterruptedException {
        SseEvent e = reader.next(10_000);
        if (e == null) {
            throw new AssertionError("no event within 10 s (ended=" + reader.ended + ")");
        }
        return e;
    }

    public List<SseEvent> take(int n) throws InterruptedException {
        List<SseEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    /** Null when nothing arrives within the given time (for "must not receive" checks). */
    public SseEvent poll(Duration wait) throws InterruptedException {
        return reader.next(wait.toMillis());
    }

    public String header(String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    @Override
    public void close() throws Exception {
        response.body().close();
        thread.interrupt();
    }
}
