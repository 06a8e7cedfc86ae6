package dev.sluice.admission;

import static dev.sluice.admission.ConnectionsPerIpTest.refused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * --header-timeout and --idle-timeout over real sockets: a client dribbling its request head
 * (slowloris) gets 408 and the close, a silent connection and an idle kept-alive one are closed,
 * a stalled body gets 408, and a client that keeps sending requests, or an SSE stream, is not
 * affected.
 */
class RequestTimeoutsTest {

    static Socket connect(TestHub hub) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(30_000); // a bound for a broken gateway, never reached by a working one
        s.connect(new InetSocketAddress("127.0.0.1", hub.gateway.port()), 5_000);
        return s;
    }

    /** Everything the gateway sends until it closes the connection. */
    static String readToClose(Socket s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        } catch (SocketException reset) {
            // a reset after the answer is a close too
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static double idleClosed(TestHub hub) throws Exception {
        String text = hub.http.send(HttpRequest.newBuilder(hub.url("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^sluice_connections_closed_idle_total (\\S+)$").matcher(text);
        assertThat(m.find()).as("sluice_connections_closed_idle_total in %n%s", text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aClientDribblingItsRequestHeadGets408AndTheClose() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.headerTimeout(Duration.ofMillis(500)));
             Socket s = connect(hub)) {
            OutputStream out = s.getOutputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // One more header line every 100 ms, for ever: only the header timeout can end this.
            Thread dribble = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        Thread.sleep(100);
                        out.write(("X-Slow-" + i + ": y\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } catch (IOException | InterruptedException closed) {
                    // the gateway closed the connection: what the test waits for
                }
            });
            String answer = readToClose(s);
            dribble.interrupt();
            assertThat(answer).startsWith("HTTP/1.1 408 Request Timeout\r\n");
            assertThat(answer).containsIgnoringCase("connection: close\r\n");
            assertThat(answer).endsWith("\r\n\r\nThe request head (request line and headers) was not complete within"
                    + " 500ms (--header-timeout).\n");
            assertThat(refused(hub, "header_timeout")).isEqualTo(1.0);
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.headerTimeout(Duration.ofMillis(300)));
             Socket s = connect(hub)) {
            assertThat(readToClose(s)).isEmpty();
            assertThat(idleClosed(hub)).isEqualTo(1.0);
            assertThat(refused(hub, "header_timeout")).isZero();
        }
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedAndABusyOneIsNot() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.idleTimeout(Duration.ofSeconds(1)));
             Socket busy = connect(hub);
             Socket idle = connect(hub)) {
            byte[] request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            idle.getOutputStream().write(request);
            idle.getOutputStream().flush();
            // A request every 100 ms, 20 times (well past the idle timeout in all): each one answered.
            InputStream in = busy.getInputStream();
            for (int i = 0; i < 20; i++) {
                busy.getOutputStream().write(request);
                busy.getOutputStream().flush();
                assertThat(readResponse(in)).startsWith("HTTP/1.1 200 OK");
                Thread.sleep(100);
            }
            String idleAnswer = readToClose(idle);
            assertThat(idleAnswer).startsWith("HTTP/1.1 200 OK").endsWith("ok\n");
            assertThat(idleClosed(hub)).isGreaterThanOrEqualTo(1.0);
            busy.getOutputStream().write(request);
            busy.getOutputStream().flush();
            assertThat(readResponse(in)).as("the busy connection is still open").startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void aStalledRequestBodyGets408() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.idleTimeout(Duration.ofMillis(500)));
             Socket s = connect(hub)) {
            String head = "POST /.well-known/mercure HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Authorization: Bearer " + TestHub.publisher() + "\r\nContent-Length: 100\r\n\r\ntopic=a&data=";
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String answer = readToClose(s);
            assertThat(answer).startsWith("HTTP/1.1 408 Request Timeout\r\n");
            assertThat(answer).endsWith("The request body stalled: no byte for 500ms (--idle-timeout).\n");
            assertThat(refused(hub, "body_timeout")).isEqualTo(1.0);
        }
    }

    @Test
    void streamsOutliveBothTimeouts() throws Exception {
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).heartbeat(Duration.ZERO)
                .headerTimeout(Duration.ofMillis(300)).idleTimeout(Duration.ofMillis(300)));
             SseStream stream = hub.subscribe("topic=a")) {
            // Ten idle timeouts without a byte either way: a stream lives by its heartbeats, not these.
            Thread.sleep(3_000);
            String id = hub.publishOk("topic", "a", "data", "still here");
            SseEvent e = stream.next();
            assertThat(e.data()).isEqualTo("still here");
            assertThat(e.id()).isEqualTo(id);
            assertThat(idleClosed(hub)).isZero();
        }
    }

    /** One response with a Content-Length body, read from a kept-alive connection. */
    static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?i)content-length: (\\d+)").matcher(text);
        assertThat(m.find()).isTrue();
        return text + new String(in.readNBytes(Integer.parseInt(m.group(1))), StandardCharsets.UTF_8);
    }
}
