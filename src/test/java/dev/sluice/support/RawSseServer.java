package dev.sluice.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A few lines of socket code that play an SSE server byte for byte, to see what a client does
 * with a given stream and what it sends back: {@code GET /} answers a blank HTML page (so a
 * browser can open an EventSource on the same origin); {@code GET /sse} answers the first
 * connection with {@code first} and then closes it, and every later connection with
 * {@code later}, kept open until the server closes. Each request's head is kept as raw bytes.
 *
 * <p>This tests the clients, not the gateway.
 */
public final class RawSseServer implements AutoCloseable {

    /** One request as received: its raw head bytes. */
    public record Request(byte[] head) {
        /** The raw bytes of a header's value (first occurrence), or null when absent. */
        public byte[] headerBytes(String name) {
            String latin1 = new String(head, StandardCharsets.ISO_8859_1);
            for (String line : latin1.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                    return line.substring(colon + 1).strip().getBytes(StandardCharsets.ISO_8859_1);
                }
            }
            return null;
        }

        public String path() {
            String latin1 = new String(head, StandardCharsets.ISO_8859_1);
            return latin1.split(" ", 3)[1];
        }
    }

    private final ServerSocket server;
    private final byte[] first;
    private final byte[] later;
    private final List<Request> streamRequests = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    public RawSseServer(String first, String later) throws IOException {
        this.first = first.getBytes(StandardCharsets.UTF_8);
        this.later = later.getBytes(StandardCharsets.UTF_8);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofVirtual().start(this::accept);
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + path);
    }

    /** The requests made to /sse so far, in order. */
    public List<Request> streamRequests() {
        return List.copyOf(streamRequests);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                byte[] head = readHead(in);
                if (head == null) {
                    return;
                }
                Request req = new Request(head);
                if (!req.path().startsWith("/sse")) {
                    byte[] page = "<!doctype html><title>probe</title>".getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: "
                            + page.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(page);
                    out.flush();
                    continue;
                }
                boolean isFirst;
                synchronized (streamRequests) {
                    isFirst = streamRequests.isEmpty();
                    streamRequests.add(req);
                }
                out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
                        + "connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(isFirst ? first : later);
                out.flush();
                if (isFirst) {
                    return; // end the stream: the client reconnects
                }
                in.transferTo(OutputStream.nullOutputStream()); // hold it open until the client leaves
                return;
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            open.remove(s);
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toByteArray();
            }
            if (head.size() > 64 * 1024) {
                throw new IOException("request head too long");
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : new ArrayList<>(open)) {
            s.close();
        }
        acceptor.interrupt();
    }
}
