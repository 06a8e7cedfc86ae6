package dev.sluice.support;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Assumptions;

/**
 * The socket I/O kinds the gateway can run on, as its {@code --io} option names them.
 *
 * <p>This enum is the one place that lists them: {@link IoKinds} runs each streaming test on every
 * constant, and a constant this machine cannot run is reported as skipped with the reason, never
 * failed. A new I/O kind is one more constant here with its availability check.
 */
public enum IoKind {
    /** Java NIO: available everywhere. */
    NIO("nio") {
        @Override
        public String unavailableBecause() {
            return null;
        }
    },
    /** Netty's native epoll: Linux with the native library loaded. */
    EPOLL("epoll") {
        @Override
        public String unavailableBecause() {
            return Epoll.isAvailable() ? null : "native epoll is not available here: " + Epoll.unavailabilityCause();
        }
    },
    /** Netty's io_uring: Linux 5.14+ with io_uring allowed (not by every container's seccomp profile). */
    IO_URING("io_uring") {
        @Override
        public String unavailableBecause() {
            return io.netty.channel.uring.IoUring.isAvailable() ? null
                    : "io_uring is not available here: " + io.netty.channel.uring.IoUring.unavailabilityCause();
        }
    };

    private final String option;

    IoKind(String option) {
        this.option = option;
    }

    /** The value of the gateway's {@code --io} option (and {@code Config.Builder.io}). */
    public String option() {
        return option;
    }

    /** Why this machine cannot run this kind, or null when it can. */
    public abstract String unavailableBecause();

    /** Skips (aborts) the calling test, with the reason, when this machine cannot run this kind. */
    public void assumeAvailable() {
        String reason = unavailableBecause();
        Assumptions.assumeTrue(reason == null, () -> option + " skipped: " + reason);
    }

    @Override
    public String toString() {
        return option;
    }
}
