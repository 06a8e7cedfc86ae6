package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.Config;
import dev.sluice.support.NatsServer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole transport contract on the NATS transport, against a nats-server of the test's own
 * (JetStream on, file storage, so the log survives the engine's restart). Each test has a stream
 * and subject of its own.
 */
class NatsTransportContractTest extends SharedLogContract {

    @TempDir
    static Path storage;
    static NatsServer nats;
    static final AtomicInteger streams = new AtomicInteger();

    final int n = streams.incrementAndGet();
    final String stream = "CONTRACT" + n;
    final String subject = "contract.log." + n;

    @BeforeAll
    static void startNats() throws Exception {
        nats = NatsServer.start(storage.resolve("nats"));
    }

    @AfterAll
    static void stopNats() throws Exception {
        if (nats != null) {
            nats.close();
        }
    }

    @Override
    protected void configure(Config.Builder b) {
        b.transport(nats.url()).nats(null, stream, subject);
    }

    @Override
    protected String description() {
        return "ready (" + nats.url() + " (stream " + stream + ", subject " + subject + "))";
    }

    @Override
    protected String transportUrl() {
        return nats.url();
    }

    @Override
    protected List<String> logOptions() {
        return List.of("--nats-stream", stream, "--nats-subject", subject);
    }

    @Override
    protected void killEngine() throws Exception {
        nats.kill();
    }

    @Override
    protected void restartEngine() throws Exception {
        nats.restart();
    }

    @Override
    protected String engineName() {
        return "NATS";
    }

    @Override
    protected void checkMetricsAfterOutage(String metrics) {
        assertThat(metrics).containsPattern("(?m)^sluice_transport_disconnects_total [1-9]")
                .containsPattern("(?m)^sluice_transport_log_position [1-9]")
                .contains("sluice_transport_log_gap_updates_total 0.0")
                .contains("sluice_transport_foreign_entries_total 0.0");
    }
}
