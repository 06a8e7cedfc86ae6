package dev.sluice.ops;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.management.ObjectName;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator can ask a running gateway when something is wrong, without restarting it
 * ({@code --diagnostics}, on the admin listener only): a thread dump, and a Java Flight Recorder
 * recording of some seconds returned as a file.
 *
 * <p>Nothing here runs on an event loop. The work happens on one daemon thread of its own, and a
 * recording does not even hold that thread while it records: it is started, and its end is
 * scheduled. At most one recording runs at a time (a second request is refused at once, see
 * {@link RecordingBusy}), and its length is bounded by {@code --max-recording}, so a client cannot
 * make the gateway record forever or pile recordings up.
 */
public final class Diagnostics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Diagnostics.class);

    /** A recording was asked for while another runs. */
    public static final class RecordingBusy extends Exception {
        RecordingBusy(String message) {
            super(message, null, false, false);
        }
    }

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-diagnostics");
        t.setDaemon(true);
        return t;
    });
    private final Duration maxRecording;
    /** The running recording, or null; set and cleared only through compareAndSet. */
    private final AtomicReference<Running> running = new AtomicReference<>();

    private record Running(Recording recording, long endsAtMillis) {}

    public Diagnostics(Duration maxRecording) {
        this.maxRecording = maxRecording;
    }

    public Duration maxRecording() {
        return maxRecording;
    }

    /** A dump of every thread with its stack and locks, in the format of {@code jcmd Thread.print}. */
    public CompletableFuture<String> threadDump() {
        return CompletableFuture.supplyAsync(Diagnostics::dumpThreads, thread);
    }

    static String dumpThreads() {
        try {
            Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "threadPrint",
                    new Object[] {new String[] {"-l"}}, new String[] {String[].class.getName()});
            return String.valueOf(text);
        } catch (Exception | LinkageError e) {
            // A JVM without the diagnostic command: the management API's view, every frame.
            StringBuilder sb = new StringBuilder(64 * 1024);
            for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
                sb.append('"').append(info.getThreadName()).append("\" #").append(info.getThreadId())
                        .append(info.isDaemon() ? " daemon" : "").append(' ').append(info.getThreadState()).append('\n');
                for (StackTraceElement frame : info.getStackTrace()) {
                    sb.append("\tat ").append(frame).append('\n');
                }
                sb.append('\n');
            }
            return sb.toString();
        }
    }

    /**
     * Records for {@code length} with the JDK's "default" settings (low overhead, meant for
     * production), then completes with the file; the caller sends it and deletes it.
     *
     * @throws RecordingBusy when a recording is running
     * @throws IllegalArgumentException when the length is outside 1 s to {@code --max-recording}
     */
    public CompletableFuture<Path> record(Duration length) throws RecordingBusy {
        if (length.toSeconds() < 1 || length.compareTo(maxRecording) > 0) {
            throw new IllegalArgumentException("a recording lasts from 1 to " + maxRecording.toSeconds()
                    + " seconds (--max-recording)");
        }
        Running current = running.get();
        if (current != null) {
            throw busy(current);
        }
        Recording recording;
        try {
            recording = new Recording(Configuration.getConfiguration("default"));
        } catch (IOException | java.text.ParseException e) {
            return CompletableFuture.failedFuture(e);
        }
        recording.setName("sluice-" + System.currentTimeMillis());
        Running mine = new Running(recording, System.currentTimeMillis() + length.toMillis());
        if (!running.compareAndSet(null, mine)) {
            recording.close();
            Running other = running.get();
            throw other == null ? new RecordingBusy("a recording is just ending; ask again") : busy(other);
        }
        CompletableFuture<Path> done = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                recording.start();
                log.info("flight recording started for {} s", length.toSeconds());
                thread.schedule(() -> finish(mine, done), length.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                running.compareAndSet(mine, null);
                recording.close();
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private void finish(Running mine, CompletableFuture<Path> done) {
        Recording recording = mine.recording();
        try {
            recording.stop();
            Path file = Files.createTempFile("sluice-", ".jfr");
            recording.dump(file);
            log.info("flight recording done: {} bytes", Files.size(file));
            done.complete(file);
        } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
        } finally {
            recording.close();
            running.compareAndSet(mine, null);
        }
    }

    private static RecordingBusy busy(Running current) {
        long left = Math.max(0, current.endsAtMillis() - System.currentTimeMillis());
        return new RecordingBusy("a flight recording is already running; it ends in " + (left + 999) / 1000
                + " s: ask again then");
    }

    /** Stops a running recording (its file is not made) and the diagnostics thread. */
    @Override
    public void close() {
        thread.shutdownNow();
        Running current = running.getAndSet(null);
        if (current != null) {
            current.recording().close();
        }
    }
}
