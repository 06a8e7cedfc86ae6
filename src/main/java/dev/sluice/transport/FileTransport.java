package dev.sluice.transport;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.topic.Update;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable single-node log in H2's MVStore ({@code file:///DIR}): an acknowledged publish is on
 * disk and survives a killed process (and, with fsync on, a power loss).
 *
 * <p>One writer thread ({@code sluice-file-log}) takes every publish waiting in its queue as one
 * batch (group commit): it appends each update under the next position (a long key; the update's
 * own id is a field, so publisher ids may repeat), trims by count and age, commits the store and
 * forces it to disk once, then hands the batch to the sink in order and completes the publishes.
 * Subscribers therefore only ever see updates that are already durable, and one fsync serves as
 * many concurrent publishes as arrived while the previous one ran.
 *
 * <p>On start the newest history-size entries are read back into the sink, so resumes work across
 * restarts. MVStore is copy-on-write and finds its last complete commit after a crash. Each entry
 * is a {@link FileEntry}: the time it was stored, then the update as an {@link UpdateCodec} record.
 */
public final class FileTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(FileTransport.class);

    /** Most publishes committed together. */
    static final int MAX_BATCH = 1024;
    /** Most publishes waiting for the writer; more are answered 503. */
    static final int MAX_QUEUED = 65_536;
    static final String FILE_NAME = "sluice-log.mv";
    /** Idle housekeeping: chunks less full than this (percent) are rewritten... */
    private static final int COMPACT_FILL_RATE = 50;
    /** ...at least this many bytes at a time. */
    private static final int COMPACT_WRITE_BYTES = 1 << 20;

    private final Path dir;
    private final int historySize;
    private final Duration maxAge;
    private final boolean fsync;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong commitNanos = new AtomicLong();

    private MVStore store;
    private MVMap<Long, byte[]> entries;
    private Consumer<Update> sink;
    private Thread writer;
    private long next;
    private volatile boolean running;
    private volatile String failure;

    private record Pending(Update update, CompletableFuture<Update> done) {}

    /** Wakes the writer on close (never interrupt it: an interrupt closes the store's FileChannel). */
    private static final Pending WAKE_UP = new Pending(null, null);

    FileTransport(String spec, Config config) {
        this.dir = directory(spec);
        this.historySize = config.historySize();
        this.maxAge = config.historyMaxAge();
        this.fsync = config.fileFsync();
    }

    private static Path directory(String spec) {
        String path;
        try {
            URI u = URI.create(spec);
            path = u.getPath();
            if (u.getAuthority() != null && !u.getAuthority().isEmpty()) {
                path = u.getAuthority() + (path == null ? "" : path); // file://relative/dir
            }
        } catch (IllegalArgumentException e) {
            path = spec.substring("file:".length()).replaceFirst("^//", "");
        }
        if (path == null || path.isBlank()) {
            throw new ConfigException("--transport", "'" + spec + "' names no directory: use file:///path/to/dir");
        }
        return Path.of(path);
    }

    @Override
    public void start(Consumer<Update> sink) {
        this.sink = sink;
        Path file = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
            // No background writer: its commits write asynchronously, and a commit of ours that found
            // nothing left to save could then fsync before the data reached the file. Every store
            // operation runs on the writer thread instead, compaction included.
            store = new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().open();
        } catch (IOException | MVStoreException e) {
            String hint = e.getMessage() != null && e.getMessage().contains("locked")
                    ? " (is another Sluice using this directory?)" : "";
            throw new TransportUnavailableException("cannot open the log at " + file + ": " + e.getMessage() + hint, e);
        }
        try {
            // Space of dead chunks is reused once they are this old. MVStore's 45 s default covers
            // an OS that flushes its write cache late; with an fsync per commit nothing waits there.
            store.setRetentionTime(fsync ? 1_000 : 45_000);
            entries = store.openMap("log", new MVMap.Builder<Long, byte[]>()
                    .keyType(LongDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
            Long last = entries.lastKey();
            next = last == null ? 1 : last + 1;
            if (trim(System.currentTimeMillis()) > 0) {
                commit();
            }
            long from = Math.max(1, next - historySize);
            int loaded = 0;
            if (historySize > 0) {
                Cursor<Long, byte[]> c = entries.cursor(from);
                while (c.hasNext()) {
                    c.next();
                    sink.accept(FileEntry.decode(c.getValue()));
                    loaded++;
                }
            }
            log.info("file transport: {} ({} updates loaded, next position {}, fsync {})", file, loaded, next,
                    fsync ? "on" : "off");
        } catch (RuntimeException e) {
            store.closeImmediately();
            throw new TransportUnavailableException("cannot read the log at " + file + ": " + e.getMessage(), e);
        }
        running = true;
        writer = Thread.ofPlatform().name("sluice-file-log").daemon(true).start(this::writeLoop);
    }

    @Override
    public CompletableFuture<Update> publish(Update update) {
        if (!running) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("the file log is not open"));
        }
        String broken = failure;
        if (broken != null) {
            return CompletableFuture.failedFuture(new TransportUnavailableException(broken));
        }
        Pending p = new Pending(update, new CompletableFuture<>());
        if (!queue.offer(p)) {
            return CompletableFuture.failedFuture(new TransportUnavailableException("the file log at " + dir
                    + " is behind (" + MAX_QUEUED + " publishes waiting for the disk)"));
        }
        if (!running && queue.remove(p)) {
            p.done.completeExceptionally(new TransportUnavailableException("the file log is closed"));
        }
        return p.done;
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (running || !queue.isEmpty()) {
            Pending first;
            try {
                first = queue.poll(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue;
            }
            if (first == null) {
                idleTrim();
                continue;
            }
            if (first != WAKE_UP) {
                batch.add(first);
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            batch.remove(WAKE_UP);
            if (batch.isEmpty()) {
                continue;
            }
            if (failure != null) {
                failAll(batch, failure);
                continue;
            }
            long now = System.currentTimeMillis();
            try {
                for (Pending p : batch) {
                    entries.put(next++, FileEntry.encode(p.update, now));
                }
                trim(now);
                long t0 = System.nanoTime();
                commit();
                commitNanos.addAndGet(System.nanoTime() - t0);
                if (commits.incrementAndGet() % 256 == 0 && store.compact(COMPACT_FILL_RATE, COMPACT_WRITE_BYTES)) {
                    commit(); // under steady load there is no idle moment for housekeeping
                }
                committed.addAndGet(batch.size());
            } catch (RuntimeException e) {
                failure = "the file log at " + dir + " cannot be written: " + e.getMessage();
                log.error("{}; every further publish is refused until Sluice is restarted", failure, e);
                failAll(batch, failure);
                continue;
            }
            for (Pending p : batch) {
                try {
                    sink.accept(p.update);
                } catch (RuntimeException e) {
                    log.error("the hub could not take update {}", p.update.id(), e);
                }
                p.done.complete(p.update);
            }
            batch.clear();
        }
    }

    private void commit() {
        store.commit();
        if (fsync) {
            store.sync();
        }
    }

    /** When no publish is waiting: trims by age and rewrites sparse chunks so the file stays small. */
    private void idleTrim() {
        if (failure != null) {
            return;
        }
        try {
            boolean changed = !maxAge.isZero() && trim(System.currentTimeMillis()) > 0;
            changed |= store.compact(COMPACT_FILL_RATE, COMPACT_WRITE_BYTES);
            if (changed) {
                commit();
            }
        } catch (RuntimeException e) {
            failure = "the file log at " + dir + " cannot be written: " + e.getMessage();
            log.error("{}", failure, e);
        }
    }

    /** Drops entries beyond the history size and older than the maximum age; returns how many. */
    private int trim(long nowMillis) {
        int removed = 0;
        long keepFrom = next - historySize;
        Long first;
        while ((first = entries.firstKey()) != null && first < keepFrom) {
            entries.remove(first);
            removed++;
        }
        if (!maxAge.isZero()) {
            long oldest = nowMillis - maxAge.toMillis();
            while ((first = entries.firstKey()) != null && FileEntry.storedAt(entries.get(first)) < oldest) {
                entries.remove(first);
                removed++;
            }
        }
        return removed;
    }

    private static void failAll(List<Pending> batch, String message) {
        for (Pending p : batch) {
            p.done.completeExceptionally(new TransportUnavailableException(message));
        }
        batch.clear();
    }

    @Override
    public boolean isReady() {
        return running && failure == null;
    }

    @Override
    public String describe() {
        return "file " + dir;
    }

    @Override
    public void bindMetrics(MeterRegistry registry) {
        FunctionCounter.builder("sluice_transport_commits", commits, AtomicLong::get)
                .description("Group commits of the file log (each one fsync when --file-fsync)").register(registry);
        FunctionCounter.builder("sluice_transport_committed_updates", committed, AtomicLong::get)
                .description("Updates made durable by the file log").register(registry);
        FunctionCounter.builder("sluice_transport_commit_seconds", commitNanos, n -> n.get() / 1e9)
                .description("Time spent committing (and syncing) the file log").register(registry);
    }

    @Override
    public void close() {
        if (!running) {
            if (store != null && !store.isClosed()) {
                store.close();
            }
            return;
        }
        running = false;
        queue.offer(WAKE_UP);
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Pending> left = new ArrayList<>();
        queue.drainTo(left);
        left.remove(WAKE_UP);
        failAll(left, "the file log is closed");
        try {
            if (failure == null) {
                store.close();
            } else {
                store.closeImmediately();
            }
        } catch (RuntimeException e) {
            log.warn("closing the file log at {}: {}", dir, e.getMessage());
        }
    }
}
