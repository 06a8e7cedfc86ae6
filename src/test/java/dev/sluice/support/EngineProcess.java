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

    /** SIGSTOP. */
    public void pause() throws Exception {
        signal("STOP");
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
