package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.ConfigException;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Which I/O kind {@code --io} runs, and the reason the gateway logs for it. */
class IoChoiceTest {

    @Test
    void autoTakesEpollWhereItLoadsAndSaysWhatItFoundOfIoUring() {
        Assumptions.assumeTrue(Epoll.isAvailable(), "native epoll is not available here");
        HttpServer.IoKind.Choice choice = HttpServer.IoKind.choose("auto");
        assertThat(choice.kind()).isEqualTo(HttpServer.IoKind.EPOLL);
        assertThat(choice.reason()).startsWith("--io auto: native epoll is available (")
                .contains(IoUring.isAvailable() ? "io_uring is available too; not taken" : "io_uring is not available: ");
    }

    @Test
    void aGatewayOnAutoRunsTheChosenKindAndKeepsTheReason() throws Exception {
        HttpServer.IoKind.Choice expected = HttpServer.IoKind.best();
        try (TestHub hub = TestHub.start(b -> b.anonymous(true))) {
            assertThat(hub.gateway.io()).isEqualTo(expected.kind());
            assertThat(hub.gateway.ioReason()).isEqualTo(expected.reason());
            try (SseStream s = hub.subscribe("topic=" + TestHub.q("https://example.com/io"))) {
                String id = hub.publishOk("topic", "https://example.com/io", "data", "on " + expected.option());
                assertThat(s.next()).isEqualTo(new SseEvent(id, "message", "on " + expected.option(), null));
            }
        }
    }

    @Test
    void aKindAskedForByNameIsTakenOrRefusedWithTheCause() {
        if (IoUring.isAvailable()) {
            HttpServer.IoKind.Choice choice = HttpServer.IoKind.choose("io_uring");
            assertThat(choice.kind()).isEqualTo(HttpServer.IoKind.IO_URING);
            assertThat(choice.reason()).isEqualTo("--io io_uring");
        } else {
            assertThatThrownBy(() -> HttpServer.IoKind.choose("io_uring")).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("--io: io_uring is not available here: ")
                    .hasMessageContaining("use --io epoll, nio or auto");
        }
        assertThat(HttpServer.IoKind.choose("nio")).isEqualTo(new HttpServer.IoKind.Choice(HttpServer.IoKind.NIO, "--io nio"));
    }
}
