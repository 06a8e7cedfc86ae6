package dev.sluice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Base64;
import java.util.BitSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The line protocol between a coordinator and one worker process, worker side: the worker's
 * stdin carries the coordinator's commands, its stdout the worker's answers (each line starts
 * with {@link #PREFIX}; anything else on stdout is not part of it). In order:
 *
 * <pre>
 * coordinator: the worker's options (one JSON line, {@link WorkerProcess#spec})
 * worker:      READY established             its subscribers are connected
 * coordinator: DRAIN deadline acked,acked,...  the acknowledged in-window updates per topic
 *                                             (Base64 of the bit set, offsets from the
 *                                             topic's base); wait for them until deadline
 *                                             (System.nanoTime(), the machine's clock)
 * worker:      DRAINED received expected     (over its subscribers that opened)
 * coordinator: STOP
 * worker:      RESULT {json}                  its {@link SubscriberTally}; then it exits
 * worker:      ERROR message                  at any point: the worker cannot run
 * </pre>
 *
 * The end of stdin means the coordinator is gone: the worker closes its connections and exits.
 */
final class WorkerChannel {

    static final String PREFIX = "sluice-bench-worker ";
    static final String READY = "READY";
    static final String DRAIN = "DRAIN";
    static final String DRAINED = "DRAINED";
    static final String STOP = "STOP";
    static final String RESULT = "RESULT";
    static final String ERROR = "ERROR";

    /** What a DRAIN command says. */
    record Drain(long deadlineNanos, BitSet[] acked) {}

    private static final String EOF = "\u0000eof";

    private final PrintStream out;
    private final BlockingQueue<String> commands = new LinkedBlockingQueue<>();
    private volatile boolean gone;

    /** Reads commands from {@code in} on a thread of its own (after the spec line, read by the caller). */
    WorkerChannel(BufferedReader in, PrintStream out) {
        this.out = out;
        Thread.ofPlatform().daemon().name("bench-worker-commands").start(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    commands.add(line);
                }
            } catch (IOException e) {
                // the coordinator is gone
            }
            gone = true;
            commands.add(EOF);
        });
    }

    boolean coordinatorGone() {
        return gone;
    }

    synchronized void send(String line) {
        out.println(PREFIX + line);
        out.flush();
    }

    /** Waits for DRAIN; null when the run ends first (stop, time limit, coordinator gone). */
    Drain awaitDrain(long deadline, BooleanSupplier stopping) throws InterruptedException {
        String line = await(DRAIN, deadline, stopping);
        return line == null ? null : parseDrain(line);
    }

    /** Waits for STOP (or the end of the run). */
    void awaitStop(long deadline, BooleanSupplier stopping) throws InterruptedException {
        await(STOP, deadline, stopping);
    }

    private String await(String command, long deadline, BooleanSupplier stopping) throws InterruptedException {
        while (!stopping.getAsBoolean() && System.nanoTime() < deadline) {
            String line = commands.poll(100, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            if (line.equals(EOF)) {
                commands.add(EOF);
                return null;
            }
            if (line.equals(command)) {
                return "";
            }
            if (line.startsWith(command + " ")) {
                return line.substring(command.length() + 1);
            }
            if (line.equals(STOP)) {
                return null; // stop before the expected command: the run is over
            }
        }
        return null;
    }

    static String drainMessage(long deadlineNanos, BitSet[] acked) {
        StringBuilder sb = new StringBuilder(DRAIN).append(' ').append(deadlineNanos).append(' ');
        Base64.Encoder b64 = Base64.getEncoder();
        for (int t = 0; t < acked.length; t++) {
            if (t > 0) {
                sb.append(',');
            }
            sb.append(b64.encodeToString(acked[t].toByteArray()));
        }
        return sb.toString();
    }

    static Drain parseDrain(String args) {
        String[] parts = args.split(" ", 2);
        long deadline = Long.parseLong(parts[0]);
        String[] sets = parts.length > 1 ? parts[1].split(",", -1) : new String[0];
        BitSet[] acked = new BitSet[sets.length];
        Base64.Decoder b64 = Base64.getDecoder();
        for (int t = 0; t < sets.length; t++) {
            acked[t] = BitSet.valueOf(b64.decode(sets[t]));
        }
        return new Drain(deadline, acked);
    }
}
