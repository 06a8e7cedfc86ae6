package dev.sluice.admission;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP request over a socket bound to a chosen loopback source address (127.0.0.x), so a
 * test can speak as several clients. For a stream the socket stays open after the head.
 */
final class RawClient implements AutoCloseable {

    final Socket socket;
    int status;
    final Map<String, String> headers = new LinkedHashMap<>();
    String body = "";

    private RawClient(Socket socket) {
        this.socket = socket;
    }

    /** Sends {@code method path} with the given extra header lines ("Name: value") and reads the head. */
    static RawClient send(String from, int port, String method, String path, String body, String... headerLines)
            throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1\r\n");
        for (String h : headerLines) {
            req.append(h).append("\r\n");
        }
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
            req.append("Content-Type: application/x-www-form-urlencoded\r\n")
                    .append("Content-Length: ").append(payload.length).append("\r\n");
        }
        req.append("\r\n");
        s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().write(payload);
        s.getOutputStream().flush();
        RawClient c = new RawClient(s);
        c.readHead();
        return c;
    }

    /** Opens an SSE subscription from {@code from}; the head is read, the stream stays open. */
    static RawClient subscribe(String from, int port, String query, String... headerLines) throws IOException {
        return send(from, port, "GET", "/.well-known/mercure?" + query, null, headerLines);
    }

    private void readHead() throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean first = true;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head");
            }
            if (b == '\n') {
                String l = line.toString(StandardCharsets.ISO_8859_1).strip();
                line.reset();
                if (l.isEmpty()) {
                    break;
                }
                if (first) {
                    status = Integer.parseInt(l.split(" ")[1]);
                    first = false;
                } else {
                    int colon = l.indexOf(':');
                    headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
                }
            } else {
                line.write(b);
            }
        }
        String length = headers.get("content-length");
        if (length != null) {
            body = new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
