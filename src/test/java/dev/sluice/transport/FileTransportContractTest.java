package dev.sluice.transport;

import dev.sluice.config.Config;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport contract on the file transport: the common part, and the replay of the retained
 * log by a node started later, which for a log only one process may hold (its file is locked) is
 * a restart on the same directory. The outage scenarios do not apply: there is no engine to lose,
 * the log is a file the process holds open, and a failing disk cannot be brought about here
 * without faking one. A killed process is {@link FileTransportCrashTest}'s subject.
 */
class FileTransportContractTest extends RetainedLogContract {

    @TempDir
    Path dir;

    @Override
    protected void configure(Config.Builder b) {
        b.transport("file://" + dir);
    }

    @Override
    protected int nodesSharingTheLog() {
        return 1;
    }

    @Override
    protected String description() {
        return "ready (file " + dir + ")";
    }

    @Override
    protected boolean aLaterNodeRunsBesideTheFirst() {
        return false;
    }
}
