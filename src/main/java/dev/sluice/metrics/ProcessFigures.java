package dev.sluice.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Figures of this process that the JVM does not report: its resident memory, read from
 * {@code /proc/self/status} (Linux), and the versions behind {@code sluice_build_info}.
 */
final class ProcessFigures {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessFigures() {}

    /** VmRSS in bytes, or NaN where /proc is not there (not Linux) or unreadable. */
    static double residentBytes() {
        try {
            List<String> lines = Files.readAllLines(STATUS);
            for (String line : lines) {
                if (line.startsWith("VmRSS:")) {
                    // "VmRSS:	  123456 kB"
                    String[] parts = line.substring(6).trim().split("\\s+");
                    long value = Long.parseLong(parts[0]);
                    return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024.0 : value;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a format we do not know: no figure rather than a wrong one
        }
        return Double.NaN;
    }

    /** The gateway's version, from the build (sluice-build.properties), or "unknown". */
    static String version() {
        try (var in = ProcessFigures.class.getResourceAsStream("/dev/sluice/sluice-build.properties")) {
            if (in != null) {
                var props = new java.util.Properties();
                props.load(in);
                String v = props.getProperty("version");
                if (v != null && !v.isBlank() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }

    /** The version of Netty on the class path, or "unknown". */
    static String nettyVersion() {
        var version = io.netty.util.Version.identify().get("netty-common");
        return version == null ? "unknown" : version.artifactVersion();
    }
}
