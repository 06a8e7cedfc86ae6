package dev.sluice.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Observes the gateway process from outside: CPU time and resident memory from {@code /proc},
 * live heap through {@code jcmd} (after a full GC), and its own counters from {@code /metrics}.
 * Every reading may fail (another user's process, no jcmd, no /proc); a failed reading is -1 and
 * the report says "n/a", the run goes on.
 */
final class GatewayProbe {

    /** Clock ticks per second of /proc/PID/stat times; 100 on every Linux the JDK supports. */
    private static final long CLOCK_TICKS = 100;
    private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

    private final long pid;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    GatewayProbe(long pid, URI base) {
        this.pid = pid;
        this.base = base;
    }

    long pid() {
        return pid;
    }

    URI base() {
        return base;
    }

    /** User plus system CPU time of the process, in seconds, or -1. */
    double cpuSeconds() {
        double[] t = cpuTimes();
        return t == null ? -1 : t[0] + t[1];
    }

    /**
     * {user, system} CPU time of the process in seconds, or null. System time is the kernel
     * working for the process: its system calls (for a gateway, mostly the TCP sends) and the
     * soft interrupts that ran in its context (on loopback, the receiving side of those sends).
     */
    double[] cpuTimes() {
        if (pid <= 0) {
            return null;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Fields after the command name (which may contain spaces) are space-separated;
            // utime and stime are fields 14 and 15 of the whole line.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new double[] {Long.parseLong(f[11]) / (double) CLOCK_TICKS,
                    Long.parseLong(f[12]) / (double) CLOCK_TICKS};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** CPU seconds used by this process (the load generator), or -1. */
    static double selfCpuSeconds() {
        return new GatewayProbe(ProcessHandle.current().pid(), null).cpuSeconds();
    }

    /**
     * CPU seconds all processes of the machine spent busy (every state but idle and iowait),
     * from /proc/stat, or -1. With the gateway's and our own, it tells what else ran meanwhile.
     */
    static double machineBusySeconds() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = cpu.trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy / (double) CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The one-minute load average, or -1. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** VmRSS in KiB, or -1. */
    long rssKiB() {
        return statusField("VmRSS:");
    }

    private long statusField(String name) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Runs a full GC in the gateway and returns the heap used afterwards in KiB, or -1. */
    long liveHeapKiB() {
        if (pid <= 0 || jcmd(pid, "GC.run") == null) {
            return -1;
        }
        String info = jcmd(pid, "GC.heap_info");
        if (info == null) {
            return -1;
        }
        long used = 0;
        boolean found = false;
        Matcher m = HEAP_USED.matcher(info);
        // ParallelGC prints one "total N, used M" line per generation (young, old); G1 one line.
        while (m.find()) {
            used += Long.parseLong(m.group(1));
            found = true;
        }
        return found ? used : -1;
    }

    private static String jcmd(long pid, String command) {
        String javaHome = System.getProperty("java.home");
        Path jcmd = Path.of(javaHome, "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return null;
        }
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The gateway's Prometheus text, or null. */
    String metrics() {
        try {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(base.resolve("/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return res.statusCode() == 200 ? res.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Sum of the samples of one metric (all label sets matching {@code labelPart}), or -1. */
    static double metric(String text, String name, String labelPart) {
        if (text == null) {
            return -1;
        }
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith(name) && (line.length() > name.length())
                    && (line.charAt(name.length()) == ' ' || line.charAt(name.length()) == '{')
                    && (labelPart == null || line.contains(labelPart))) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : -1;
    }

    /** Milliseconds {@code /healthz} took to answer 200, or -1 when it did not within 2 s. */
    double healthz() {
        long start = System.nanoTime();
        try {
            HttpResponse<Void> res = http.send(HttpRequest.newBuilder(base.resolve("/healthz"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
            return res.statusCode() == 200 ? (System.nanoTime() - start) / 1e6 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * The process listening on a local TCP port: the socket's inode from {@code /proc/net/tcp}
     * (and tcp6), then the process holding a descriptor on {@code socket:[inode]}. Returns -1 when
     * it cannot be told (e.g. another user's process).
     */
    static long findListener(int port) {
        String hexPort = String.format(Locale.ROOT, ":%04X", port);
        String inode = null;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    // sl local_address rem_address st ... inode (field 9); 0A = LISTEN
                    if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                        inode = f[9];
                        break;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // try the next table
            }
            if (inode != null) {
                break;
            }
        }
        if (inode == null) {
            return -1;
        }
        String target = "socket:[" + inode + "]";
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try (var fds = Files.list(proc.resolve("fd"))) {
                    for (Path fd : (Iterable<Path>) fds::iterator) {
                        try {
                            if (Files.readSymbolicLink(fd).toString().equals(target)) {
                                return Long.parseLong(name);
                            }
                        } catch (IOException e) {
                            // fd closed meanwhile
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // not ours to read, or gone
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** The soft limit on open files of this process, from /proc/self/limits (what ulimit -n shows). */
    static long fileLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 1024;
    }
}
