package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TestHub;
import org.junit.jupiter.api.Test;

/**
 * An application that embeds the gateway gets the Netty settings {@code sluice serve} runs with,
 * except where the process set its own.
 */
class GatewayEmbeddingTest {

    @Test
    void startAppliesTheNettySettingsOfServeWithoutOverridingThoseSetByTheProcess() throws Exception {
        String leakBefore = System.getProperty("io.netty.leakDetection.level");
        String chunkBefore = System.getProperty("io.netty.recycler.chunkSize");
        try (TestHub hub = TestHub.start()) {
            assertThat(hub.gateway.port()).isPositive();
            assertThat(System.getProperty("io.netty.recycler.chunkSize")).isEqualTo(chunkBefore == null ? "1024" : chunkBefore);
            assertThat(System.getProperty("io.netty.leakDetection.level"))
                    .isEqualTo(leakBefore == null ? "disabled" : leakBefore);
        }
    }
}
