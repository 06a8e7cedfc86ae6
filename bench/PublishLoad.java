import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Closed-loop publish load for bench/publish-path.sh: N keep-alive HTTP/1.1 connections, each
 * sending one update, waiting for its answer, then sending the next (no pipelining). Each
 * connection publishes to its own topic, data "seq padding" of --bytes bytes. Counts 200s (and
 * anything else) after the warm-up, for the window; prints one line:
 * {@code ok=N failed=N rate=R/s p50=MS p99=MS}.
 *
 * <p>Plain sockets and a pre-built request, so the generator costs little CPU next to the
 * gateway. Usage: java bench/PublishLoad.java HOST:PORT SECRET PUBLISHERS WARMUP_S WINDOW_S [BYTES]
 */
public final class PublishLoad {

    public static void main(String[] args) throws Exception {
        String[] hostPort = args[0].split(":");
        InetSocketAddress target = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        String token = token(args[1]);
        int publishers = Integer.parseInt(args[2]);
        long warmupNanos = (long) (Double.parseDouble(args[3]) * 1e9);
        long windowNanos = (long) (Double.parseDouble(args[4]) * 1e9);
        int bytes = args.length > 5 ? Integer.parseInt(args[5]) : 100;

        long start = System.nanoTime();
        long measureFrom = start + warmupNanos;
        long measureTo = measureFrom + windowNanos;
        LongAdder ok = new LongAdder();
        LongAdder failed = new LongAdder();
        AtomicLong errors = new AtomicLong();
        // Latency histogram in 10 µs buckets up to 1 s.
        long[][] hist = new long[publishers][100_001];
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            int id = p;
            threads.add(Thread.ofPlatform().name("pub-" + p).start(() -> {
                try (Socket s = new Socket()) {
                    s.setTcpNoDelay(true);
                    s.connect(target, 5_000);
                    s.setSoTimeout(15_000);
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
                    String topic = "topic=https%3A%2F%2Fexample.com%2Fload%2F" + id + "&data=";
                    String head = "POST /.well-known/mercure HTTP/1.1\r\nHost: " + args[0]
                            + "\r\nAuthorization: Bearer " + token
                            + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ";
                    for (long seq = 0; ; seq++) {
                        long sent = System.nanoTime();
                        if (sent >= measureTo) {
                            return;
                        }
                        StringBuilder body = new StringBuilder(topic).append(seq).append('+');
                        while (body.length() - topic.length() < bytes) {
                            body.append('x');
                        }
                        byte[] b = body.toString().getBytes(StandardCharsets.US_ASCII);
                        out.write((head + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(b);
                        out.flush();
                        int status = readResponse(in);
                        long done = System.nanoTime();
                        if (sent >= measureFrom && done <= measureTo) {
                            if (status == 200) {
                                ok.increment();
                                hist[id][(int) Math.min(100_000, (done - sent) / 10_000)]++;
                            } else {
                                failed.increment();
                            }
                        }
                    }
                } catch (IOException e) {
                    if (errors.getAndIncrement() == 0) {
                        System.err.println("publisher " + id + ": " + e);
                    }
                }
            }));
        }
        // Markers for a script that samples the gateway's counters over the window.
        Thread.sleep(Math.max(0, (measureFrom - System.nanoTime()) / 1_000_000));
        System.out.println("window-start");
        Thread.sleep(Math.max(0, (measureTo - System.nanoTime()) / 1_000_000));
        System.out.println("window-end");
        Thread.sleep(1000); // still alive while the script reads this process's counters
        for (Thread t : threads) {
            t.join();
        }
        long[] all = new long[100_001];
        long n = 0;
        for (long[] h : hist) {
            for (int i = 0; i < h.length; i++) {
                all[i] += h[i];
                n += h[i];
            }
        }
        System.out.printf("ok=%d failed=%d errors=%d rate=%.0f/s p50=%.2fms p99=%.2fms%n", ok.sum(), failed.sum(),
                errors.get(), ok.sum() / (windowNanos / 1e9), pct(all, n, 0.50), pct(all, n, 0.99));
    }

    private static double pct(long[] hist, long n, double q) {
        long want = (long) Math.ceil(n * q);
        long seen = 0;
        for (int i = 0; i < hist.length; i++) {
            seen += hist[i];
            if (seen >= want && want > 0) {
                return (i + 0.5) / 100.0;
            }
        }
        return Double.NaN;
    }

    /** Reads one response (status line, headers, Content-Length body); returns the status. */
    private static int readResponse(InputStream in) throws IOException {
        String status = line(in);
        int code = Integer.parseInt(status.substring(9, 12));
        int length = 0;
        for (String h; !(h = line(in)).isEmpty(); ) {
            if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Integer.parseInt(h.substring(15).trim());
            }
        }
        for (int i = 0; i < length; i++) {
            if (in.read() < 0) {
                throw new IOException("connection closed in a response body");
            }
        }
        return code;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /** An HS256 publisher token for every topic. */
    private static String token(String secret) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = b64.encodeToString("{\"mercure\":{\"publish\":[\"*\"]}}".getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] sig = mac.doFinal((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + b64.encodeToString(sig);
    }
}
