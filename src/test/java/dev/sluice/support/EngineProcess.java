package dev.sluice.support;

import java.util.concurrent.TimeUnit;

/**
 * A server process a test starts itself (redis-server, nats-server) so it can crash it
 * ({@link #kill}) or freeze it ({@link #pause}, SIGSTOP: its sockets stay open, nothing answers).
 */
abstract class EngineProcess implements AutoCloseable {

    /** The running process; replaced by a restart. */
    protected Process process;

    /** SIGKILL: no clean shutdown, what a crash looks like. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * SIGSTOP, and waits until every thread of the process is stopped: the signal is delivered
     * asynchronously, and a thread that is running may still answer a request meanwhile.
     */
    public void pause() throws Exception {
        signal("STOP");
        java.nio.file.Path tasks = java.nio.file.Path.of("/proc", Long.toString(process.pid()), "task");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!allStopped(tasks)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("process " + process.pid() + " did not stop after SIGSTOP");
            }
            Thread.sleep(1);
        }
    }

    /** True when every thread's state in /proc is T (stopped); true as well where /proc is absent. */
    private static boolean allStopped(java.nio.file.Path tasks) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(tasks)) {
            return true;
        }
        try (var dirs = java.nio.file.Files.list(tasks)) {
            for (java.nio.file.Path task : (Iterable<java.nio.file.Path>) dirs::iterator) {
                String stat;
                try {
                    stat = java.nio.file.Files.readString(task.resolve("stat"));
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue; // the thread ended
                }
                // pid (comm) STATE ...: the command may hold spaces and parentheses, the state follows the last ')'.
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state != 'T' && state != 't') {
                    return false;
                }
            }
        }
        return true;
    }

    /** SIGCONT. */
    public void resume() throws Exception {
        signal("CONT");
    }

    protected void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " failed");
        }
    }
}
