package dev.sluice.hostile;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One TCP connection to the gateway that writes exactly the bytes it is given (nothing is
 * normalised, encoded or completed) and reads the answers back as they are on the wire: status
 * line, headers, then a body by Content-Length, by chunks, or up to the close. Interim (1xx)
 * answers are skipped. Answers the gateway writes that are not HTTP/1.x fail loudly.
 */
final class RawConnection implements AutoCloseable {

    /** One answer from the gateway. */
    record Answer(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        boolean closes() {
            return "close".equalsIgnoreCase(header("connection"));
        }
    }

    /** The gateway wrote something that is not an HTTP/1.x answer. */
    static final class NotHttp extends IOException {
        NotHttp(String message) {
            super(message);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawConnection(int port, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(readTimeoutMillis);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        in = new BufferedInputStream(socket.getInputStream(), 16_384);
        out = socket.getOutputStream();
    }

    RawConnection send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    RawConnection send(String latin1) throws IOException {
        return send(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Half-closes: the gateway reads the end of the input, the client can still read. */
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /**
     * The next answer, or null when the gateway closed the connection before starting one.
     *
     * @throws SocketTimeoutException when nothing (or not all of an answer) came within the read timeout
     */
    Answer read() throws IOException {
        Answer head = readHead();
        return head == null ? null : new Answer(head.status(), head.headers(), body(head.headers()));
    }

    /** The next answer's status and headers only (for a stream, whose body goes on); null at the close. */
    Answer readHead() throws IOException {
        while (true) {
            String statusLine = line(true);
            if (statusLine == null) {
                return null;
            }
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
                throw new NotHttp("not an HTTP/1.x status line: '" + statusLine + "'");
            }
            int status;
            try {
                status = Integer.parseInt(statusLine.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new NotHttp("no status code in '" + statusLine + "'");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(false); !h.isEmpty(); h = line(false)) {
                int colon = h.indexOf(':');
                if (colon <= 0) {
                    throw new NotHttp("header line without a name: '" + h + "'");
                }
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            if (status >= 100 && status < 200) {
                continue; // 100 Continue: the final answer follows
            }
            return new Answer(status, headers, "");
        }
    }

    /** Reads (and drops) whatever comes until the gateway closes; true if it closed within the read timeout. */
    boolean closed() throws IOException {
        byte[] sink = new byte[8192];
        try {
            while (in.read(sink) >= 0) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true; // a reset is a close too
        }
    }

    private String body(Map<String, String> headers) throws IOException {
        String length = headers.get("content-length");
        if (length != null) {
            int n = Integer.parseInt(length);
            byte[] body = in.readNBytes(n);
            if (body.length < n) {
                throw new NotHttp("body cut short: " + body.length + " of " + n + " bytes");
            }
            return new String(body, StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            while (true) {
                String size = line(true);
                if (size == null) {
                    break; // a stream ended by the close
                }
                int n;
                try {
                    n = Integer.parseInt(size.trim(), 16);
                } catch (NumberFormatException e) {
                    throw new NotHttp("bad chunk size '" + size + "'");
                }
                if (n == 0) {
                    line(false);
                    break;
                }
                body.write(in.readNBytes(n));
                line(true);
            }
        } else {
            in.transferTo(body);
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    /** A CRLF-terminated line (ISO-8859-1); null at a clean end of input when allowed. */
    private String line(boolean endAllowed) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (endAllowed && sb.isEmpty()) {
                    return null;
                }
                throw new NotHttp("connection closed inside an answer after '" + sb + "'");
            }
            if (b == '\n') {
                int end = sb.length();
                if (end > 0 && sb.charAt(end - 1) == '\r') {
                    sb.setLength(end - 1);
                }
                return sb.toString();
            }
            if (sb.length() > 65_536) {
                throw new NotHttp("line longer than 64 KiB");
            }
            sb.append((char) b);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
