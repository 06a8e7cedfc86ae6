package dev.sluice.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Parses an SSE byte stream exactly as the WHATWG algorithm does (CRLF, LF and CR line ends;
 * comments; one leading space dropped; data lines joined with LF; empty data fires nothing) and
 * queues the dispatched events. Independent of the server's encoder, so it checks the wire.
 */
public final class SseReader {
    public final BlockingQueue<SseEvent> events = new LinkedBlockingQueue<>();
    public final AtomicInteger comments = new AtomicInteger();
    /** Every comment's text (after the colon), in order. */
    public final java.util.List<String> commentTexts = new java.util.concurrent.CopyOnWriteArrayList<>();
    public volatile Long lastRetry;
    public volatile boolean ended;
    public volatile Throwable failure;

    private volatile String lastId;
    /** The id field of the block being read; it becomes lastId when the block ends (as in the SSE standard). */
    private String idBuffer;
    private String type;
    private StringBuilder data = new StringBuilder();
    private boolean hasData;
    private Long retry;

    public void readAll(InputStream in) {
        try (Reader r = new java.io.BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 65536)) {
            StringBuilder line = new StringBuilder();
            boolean lastWasCr = false;
            int c;
            while ((c = r.read()) != -1) {
                if (c == '\n' && lastWasCr) {
                    lastWasCr = false;
                    continue;
                }
                lastWasCr = c == '\r';
                if (c == '\r' || c == '\n') {
                    line(line.toString());
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
        } catch (IOException e) {
            failure = e;
        } finally {
            ended = true;
        }
    }

    private void line(String line) {
        if (line.isEmpty()) {
            lastId = idBuffer;
            if (hasData) {
                String d = data.toString();
                events.add(new SseEvent(lastId, type == null ? "message" : type, d.substring(0, d.length() - 1), retry));
            }
            data = new StringBuilder();
            hasData = false;
            type = null;
            retry = null;
            return;
        }
        if (line.startsWith(":")) {
            commentTexts.add(line.substring(1));
            comments.incrementAndGet();
            return;
        }
        int colon = line.indexOf(':');
        String name = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (name) {
            case "data" -> {
                data.append(value).append('\n');
                hasData = true;
            }
            case "event" -> type = value;
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    idBuffer = value;
                }
            }
            case "retry" -> {
                if (!value.isEmpty() && value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                    retry = Long.parseLong(value);
                    lastRetry = retry;
                }
            }
            default -> { }
        }
    }

    /**
     * The last event ID as an EventSource keeps it: set by the {@code id:} field of every complete
     * block, also of blocks without data; a block cut off before its blank line does not count.
     */
    public String lastEventId() {
        return lastId;
    }

    public SseEvent next(long timeoutMillis) throws InterruptedException {
        return events.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }
}
