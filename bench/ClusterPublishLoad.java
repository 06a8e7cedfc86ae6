import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Closed-loop publish load, the method of BENCHMARKS-cluster.md: P publishers per gateway URL,
 * each sends its next update (100 bytes of data, one of T topics in turn) once the previous one
 * was answered; counts the 200s inside the measured window after a warm-up and prints one line:
 * {@code acked=N seconds=S rate=R p50=MS p99=MS failed=F}. Bounded by warm-up plus window.
 *
 * <p>Usage: {@code java bench/ClusterPublishLoad.java TOKEN WARMUP_S WINDOW_S PUBLISHERS TOPICS URL...}
 */
public class ClusterPublishLoad {
    public static void main(String[] args) throws Exception {
        String token = args[0];
        double warmup = Double.parseDouble(args[1]);
        double window = Double.parseDouble(args[2]);
        int publishers = Integer.parseInt(args[3]);
        int topics = Integer.parseInt(args[4]);
        List<URI> hubs = new ArrayList<>();
        for (int i = 5; i < args.length; i++) {
            hubs.add(URI.create(args[i]));
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String data = "x".repeat(100);
        long start = System.nanoTime();
        long from = start + (long) (warmup * 1e9);
        long until = from + (long) (window * 1e9);
        LongAdder acked = new LongAdder();
        LongAdder failed = new LongAdder();
        long[] latencies = new long[4_000_000];
        AtomicLong recorded = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (URI hub : hubs) {
            for (int p = 0; p < publishers; p++) {
                int offset = p;
                threads.add(Thread.ofPlatform().start(() -> {
                    long k = offset;
                    while (true) {
                        long sent = System.nanoTime();
                        if (sent >= until) {
                            return;
                        }
                        String topic = "https://example.com/bench/" + (k++ % topics);
                        String body = "topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8) + "&data=" + data;
                        int status;
                        try {
                            status = http.send(HttpRequest.newBuilder(hub).timeout(Duration.ofSeconds(10))
                                    .header("Authorization", "Bearer " + token)
                                    .header("Content-Type", "application/x-www-form-urlencoded")
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                    HttpResponse.BodyHandlers.discarding()).statusCode();
                        } catch (Exception e) {
                            status = -1;
                        }
                        long done = System.nanoTime();
                        if (sent >= from && done <= until) {
                            if (status == 200) {
                                acked.increment();
                                long i = recorded.getAndIncrement();
                                if (i < latencies.length) {
                                    latencies[(int) i] = done - sent;
                                }
                            } else {
                                failed.increment();
                            }
                        }
                    }
                }));
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        int n = (int) Math.min(recorded.get(), latencies.length);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        double p50 = n == 0 ? 0 : sorted[n / 2] / 1e6;
        double p99 = n == 0 ? 0 : sorted[Math.min(n - 1, (int) (n * 0.99))] / 1e6;
        System.out.printf("acked=%d seconds=%.1f rate=%.0f p50=%.2f p99=%.2f failed=%d%n", acked.sum(), window,
                acked.sum() / window, p50, p99, failed.sum());
    }
}
