package dev.sluice.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A worker process of {@code sluice bench --workers N}, started by the coordinator
 * ({@link WorkerProcess}), never by hand: reads its options from stdin, holds its share of the
 * subscribers, and speaks the protocol of {@link WorkerChannel}. Exits 0 after sending its
 * result, 2 when its options cannot run (ERROR says why), 1 when the coordinator went away.
 */
public final class BenchWorker {

    private BenchWorker() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        // Nothing else of this process may write protocol lines: anything printed goes to stderr.
        System.setOut(System.err);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String spec = in.readLine();
        int status;
        if (spec == null) {
            status = 1;
        } else {
            status = run(spec, in, out);
        }
        out.flush();
        System.exit(status);
    }

    private static int run(String spec, BufferedReader in, PrintStream out) throws InterruptedException {
        WorkerChannel channel = new WorkerChannel(in, out);
        BenchOptions options;
        try {
            options = WorkerProcess.parseSpec(spec);
        } catch (Exception e) {
            channel.send(WorkerChannel.ERROR + " unreadable options: " + e.getMessage());
            return 2;
        }
        SubscriberTally tally;
        try {
            tally = Bench.runWorker(options, channel);
        } catch (IllegalArgumentException | IllegalStateException e) {
            channel.send(WorkerChannel.ERROR + " " + e.getMessage().replace('\n', ' '));
            return 2;
        }
        if (tally == null) {
            return 1;
        }
        channel.send(WorkerChannel.RESULT + " " + tally.toJson());
        return 0;
    }
}
