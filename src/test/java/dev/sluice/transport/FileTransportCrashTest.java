package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.cli.Main;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseReader;
import dev.sluice.support.TestHub;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file transport under kill -9: a gateway process is killed while publishers are busy; after
 * a restart every update that was answered 200 is in history, in order, and resumable.
 */
class FileTransportCrashTest {

    @TempDir
    Path dir;

    private Process launch() throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
                "--listen", "127.0.0.1:0", "--workers", "1", "--anonymous", "--history-size", "100000",
                "--history-max-bytes", "256MiB", "--publisher-jwt-key", TestHub.SECRET,
                "--transport", "file://" + dir);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
        return pb.start();
    }

    private static int port(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("Sluice listening on .*:(\\d+) ");
        String line;
        while ((line = out.readLine()) != null) {
            Matcher m = listening.matcher(line);
            if (m.find()) {
                Thread.ofVirtual().start(() -> {
                    try {
                        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                    } catch (java.io.IOException ignored) {
                        // the process is gone
                    }
                });
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("the gateway did not start (exit " + p.waitFor() + ")");
    }

    @Test
    void everyAcknowledgedUpdateSurvivesKillMinus9() throws Exception {
        Process first = launch();
        List<List<String>> acked = new ArrayList<>();
        try {
            URI hub = URI.create("http://127.0.0.1:" + port(first) + "/.well-known/mercure");
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                List<String> mine = new CopyOnWriteArrayList<>();
                acked.add(mine);
                int thread = t;
                publishers.add(Thread.ofPlatform().start(() -> publishUntilRefused(hub, thread, mine)));
            }
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> acked.stream().mapToInt(List::size).sum() >= 400);
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no clean close of the store
            first.waitFor(10, TimeUnit.SECONDS);
            for (Thread p : publishers) {
                p.join(15_000);
            }
        } finally {
            first.destroyForcibly();
        }

        Process second = launch();
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI hub = URI.create("http://127.0.0.1:" + port(second) + "/.well-known/mercure");
            HttpResponse<InputStream> sub = http.send(HttpRequest.newBuilder(URI.create(hub + "?topic=*"))
                    .header("Last-Event-ID", "earliest").build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(sub.statusCode()).isEqualTo(200);
            SseReader reader = new SseReader();
            Thread.ofVirtual().start(() -> reader.readAll(sub.body()));
            // A marker published after the subscription opened follows all of the recovered history.
            String marker = publishOk(http, hub, "marker");
            List<String> history = new ArrayList<>();
            for (SseEvent e = next(reader); !e.id().equals(marker); e = next(reader)) {
                history.add(e.id());
            }
            assertThat(new HashSet<>(history)).as("no duplicates").hasSize(history.size());
            int total = 0;
            for (List<String> mine : acked) {
                Set<String> wanted = new HashSet<>(mine);
                assertThat(history.stream().filter(wanted::contains).toList())
                        .as("every acknowledged update of a publisher, in its order").containsExactlyElementsOf(mine);
                total += mine.size();
            }
            assertThat(history.size()).as("at most the few in flight when killed are extra")
                    .isBetween(total, total + acked.size());

            // And a resume from an acknowledged id in the middle continues right after it.
            List<String> some = acked.get(0);
            String middle = some.get(some.size() / 2);
            HttpResponse<InputStream> resumed = http.send(HttpRequest.newBuilder(URI.create(hub + "?topic=*"))
                    .header("Last-Event-ID", middle).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(resumed.headers().firstValue("last-event-id")).contains(middle);
            SseReader after = new SseReader();
            Thread.ofVirtual().start(() -> after.readAll(resumed.body()));
            List<String> expected = new ArrayList<>(history.subList(history.indexOf(middle) + 1, history.size()));
            expected.add(marker);
            String last = publishOk(http, hub, "last");
            expected.add(last);
            List<String> got = new ArrayList<>();
            while (got.size() < expected.size()) {
                got.add(next(after).id());
            }
            assertThat(got).as("everything after the resumed id, once and in order").containsExactlyElementsOf(expected);
            resumed.body().close();
        } finally {
            second.destroyForcibly();
        }
    }

    private static SseEvent next(SseReader reader) throws InterruptedException {
        SseEvent e = reader.next(10_000);
        if (e == null) {
            throw new AssertionError("no event within 10 s (ended=" + reader.ended + ", failure=" + reader.failure + ")");
        }
        return e;
    }

    private static String publishOk(HttpClient http, URI hub, String topic) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(hub)
                .header("Authorization", "Bearer " + TestHub.publisher())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", topic, "data", topic))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("publish answered: %s", r.body()).isEqualTo(200);
        return r.body();
    }

    private static void publishUntilRefused(URI hub, int thread, List<String> acked) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String token = TestHub.publisher();
        for (int i = 0; ; i++) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(hub)
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .timeout(Duration.ofSeconds(5))
                        .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "k/" + thread,
                                "data", "publisher " + thread + " update " + i))).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    acked.add(r.body());
                }
            } catch (Exception gone) {
                return; // the gateway was killed
            }
        }
    }
}
