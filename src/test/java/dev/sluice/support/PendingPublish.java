package dev.sluice.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A publish whose request is fully written on its own connection before the constructor returns,
 * so that a test can tell whether its answer has come yet: to show that other requests are
 * answered while this one waits (the event loop is not held by the wait).
 */
public final class PendingPublish implements AutoCloseable {
    private final Socket socket;

    public PendingPublish(TestHub hub, String topic, String data) throws IOException {
        socket = new Socket("127.0.0.1", hub.gateway.port());
        String body = TestHub.form("topic", topic, "data", data);
        String request = "POST /.well-known/mercure HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + TestHub.publisher() + "\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** True while no byte of the answer has arrived. */
    public boolean pending() throws IOException {
        return socket.getInputStream().available() == 0;
    }

    /** The answer's status code, once the whole answer is in (the server closes the connection). */
    public int status(Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        String head = out.toString(StandardCharsets.US_ASCII);
        if (!head.startsWith("HTTP/1.1 ")) {
            throw new AssertionError("not an HTTP answer: " + head);
        }
        return Integer.parseInt(head.substring(9, 12));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
