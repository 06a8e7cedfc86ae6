package dev.sluice.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The curl command line, one process per subscription ({@code -N} so nothing is buffered,
 * {@code -i} so the status line shows when the stream opened). curl has no SSE parser: its
 * output is read by {@link WireReader}; it does not reconnect, so a scenario resumes by hand.
 */
final class CurlClient implements InteropClient {
    private final Target target;

    CurlClient(Target target) throws Exception {
        this.target = target;
        try {
            Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("curl is required in CI", e);
            }
            org.junit.jupiter.api.Assumptions.abort("curl is not installed: apt-get install curl");
        }
    }

    /** The options that choose the protocol. */
    private List<String> protocolOptions() throws Exception {
        return switch (target.protocol) {
            case HTTP1 -> List.of("--http1.1");
            case H2 -> List.of("--http2", "--cacert", target.certificateFile().toString());
            case H2C -> List.of("--http2-prior-knowledge");
            case H2C_UPGRADE -> List.of("--http2"); // on an http:// URL: Upgrade: h2c
            case H3 -> throw new IllegalStateException(ClientKind.CURL.cannotSpeak(Protocol.H3));
        };
    }

    @Override
    public ClientStream open(Subscription sub) throws Exception {
        ClientStream stream = new ClientStream("curl", true, true);
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-N", "-i", "--max-time", "60"));
        cmd.addAll(protocolOptions());
        cmd.addAll(List.of("-H", "Accept: text/event-stream"));
        if (sub.auth() == Subscription.Auth.HEADER) {
            cmd.addAll(List.of("-H", "Authorization: Bearer " + sub.token()));
        } else if (sub.auth() == Subscription.Auth.COOKIE) {
            cmd.addAll(List.of("-b", Subscription.COOKIE + "=" + sub.token()));
        }
        if (sub.lastEventId() != null) {
            cmd.addAll(List.of("-H", "Last-Event-ID: " + sub.lastEventId()));
        }
        cmd.add(sub.url(target.hubUrl).toString());
        stream.request(sub.lastEventId());
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        StringBuilder stderr = new StringBuilder();
        Thread.ofVirtual().start(() -> {
            try {
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                synchronized (stderr) {
                    stderr.append(err.strip());
                }
            } catch (IOException ignored) {
                // the process was ended
            }
        });
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                InputStream in = p.getInputStream();
                String status = headerBlock(in);
                if (!status.matches("HTTP/\\S+ 200.*")) {
                    String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    p.waitFor(5, TimeUnit.SECONDS);
                    synchronized (stderr) {
                        stream.problem("curl got " + status + ": " + body + (stderr.isEmpty() ? "" : " (curl: " + stderr + ")"));
                    }
                    stream.ended(null);
                    return;
                }
                stream.protocol(status.startsWith("HTTP/2") ? "HTTP/2" : status.substring(0, status.indexOf(' ')));
                stream.opened(System.currentTimeMillis());
                new WireReader(stream).readAll(in);
            } catch (IOException | InterruptedException e) {
                stream.problem("curl: " + e);
                stream.ended(null);
            }
        });
        stream.onClose(() -> {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            reader.join(5000);
        });
        return stream;
    }

    /** Reads the response head printed by {@code -i}, past any 1xx (101 Switching Protocols); returns its status line. */
    private static String headerBlock(InputStream in) throws IOException {
        String status;
        do {
            status = oneHead(in);
        } while (status.matches("HTTP/\\S+ 1\\d\\d.*"));
        return status;
    }

    private static String oneHead(InputStream in) throws IOException {
        String status = null;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\n') {
                String l = line.toString(StandardCharsets.ISO_8859_1).strip();
                line.reset();
                if (l.isEmpty()) {
                    return status == null ? "no response" : status;
                }
                if (status == null) {
                    status = l;
                }
            } else {
                line.write(b);
            }
        }
        return status == null ? "no response" : status;
    }

    @Override
    public boolean reconnects() {
        return false;
    }

    @Override
    public void close() {
        // one process per subscription, each ended with its stream
    }
}
