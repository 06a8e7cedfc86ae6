package dev.sluice.interop;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

/**
 * For clients without an SSE parser (curl, the JDK HttpClient): reads the bytes they received as
 * the WHATWG algorithm does (CRLF, LF and CR line ends; comments; one leading space dropped; data
 * lines joined with LF; an empty data buffer fires nothing; the last event id is set by every
 * complete block) and reports events, comments and retry values to a {@link ClientStream}. It is
 * independent of the gateway's encoder, so it checks the wire.
 */
final class WireReader {
    private final ClientStream out;
    private String lastId;
    private String idBuffer;
    private String type;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;

    WireReader(ClientStream out) {
        this.out = out;
    }

    /** Reads until the body ends, then reports the end with the last event id kept. */
    void readAll(InputStream in) {
        try (Reader r = new java.io.BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 8192)) {
            StringBuilder line = new StringBuilder();
            boolean lastWasCr = false;
            for (int c; (c = r.read()) != -1; ) {
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
            out.problem("read failed: " + e);
        } finally {
            out.ended(lastId);
        }
    }

    private void line(String line) {
        if (line.isEmpty()) {
            lastId = idBuffer;
            if (hasData) {
                out.event(type == null || type.isEmpty() ? "message" : type, data.substring(0, data.length() - 1), lastId);
            }
            data.setLength(0);
            hasData = false;
            type = null;
            return;
        }
        if (line.startsWith(":")) {
            out.comment();
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
                    out.retry(Long.parseLong(value));
                } else {
                    out.problem("retry value that is not digits: " + value);
                }
            }
            default -> out.problem("unknown field: " + line);
        }
    }
}
