package dev.sluice.interop;

import dev.sluice.support.TestHub;
import dev.sluice.support.TlsTrust;
import io.netty.util.concurrent.EventExecutor;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A gateway as the clients of one protocol reach it. Two gateways serve every protocol: a
 * cleartext one (HTTP/1.1 and h2c, by prior knowledge or {@code Upgrade}) and one with TLS and
 * its self-signed certificate (ALPN h2). Each scenario works on topics of its own, so they all
 * run side by side on them.
 *
 * <p>Their settings are the ones the scenarios rely on: anonymous subscribers (public updates), a
 * short heartbeat (so every idle stream gets several while the scenarios run, and none may show
 * up as an event), one retry value for the opening and for streams the gateway ends ({@link
 * #RETRY}: longer than every client's default, so that obeying it shows without any upper bound on
 * time, and so that updates published right after a stream ended surely reach the client only
 * through its resume), and non-ASCII ids.
 */
final class Target {
    /** The reconnection time the gateway announces. */
    static final Duration RETRY = Duration.ofSeconds(5);
    static final Duration HEARTBEAT = Duration.ofMillis(250);

    final Protocol protocol;
    final TestHub hub;
    /** The subscribe URL as clients of this protocol use it. */
    final URI hubUrl;
    /** The page a browser opens first, on the gateway's own origin. */
    final URI page;
    private final Path certificateFile;

    Target(Protocol protocol, TestHub hub) throws java.io.IOException {
        if (protocol.tls != (hub.certificate() != null)) {
            throw new IllegalArgumentException(protocol + " needs a gateway " + (protocol.tls ? "with" : "without") + " TLS");
        }
        this.protocol = protocol;
        this.hub = hub;
        URI base = URI.create((protocol.tls ? "https" : "http") + "://127.0.0.1:" + hub.gateway.port());
        this.hubUrl = base.resolve("/.well-known/mercure");
        this.page = base.resolve("/healthz");
        if (protocol.tls) { // written once, before any client reads it (a folder per protocol)
            Path dir = Path.of("target", "interop", protocol.name().toLowerCase(java.util.Locale.ROOT));
            Files.createDirectories(dir);
            this.certificateFile = TlsTrust.pemFile(hub.certificate(), dir);
        } else {
            this.certificateFile = null;
        }
    }

    /** A gateway with the settings above, with TLS (self-signed) or without. */
    static TestHub startGateway(boolean tls) throws Exception {
        return TestHub.start(b -> {
            b.anonymous(true).heartbeat(HEARTBEAT).retry(RETRY).allowNonAsciiIds(true).tlsSelfSigned(tls);
            b.slowClientRetry = RETRY;
        });
    }

    /** The gateway's certificate as a PEM file, for clients that read one (curl, Node); null without TLS. */
    Path certificateFile() {
        return certificateFile;
    }

    /**
     * Ends every stream subscribed to exactly this one topic, as the gateway does when it drains or
     * cuts a subscriber loose (a comment, a {@code retry:} hint, the end of the stream), and returns
     * once that has happened on every event loop.
     */
    void endStreamsOf(String topic) throws Exception {
        String selectors = "[" + topic + "]"; // Subscriber.toString lists its selectors
        hub.gateway.hub().forEachSubscriber(s -> {
            if (s.toString().contains(selectors)) {
                hub.gateway.hub().end(s);
            }
        });
        // The loops run their tasks in order: once a no-op ran on each, so did the ends.
        for (EventExecutor loop : hub.gateway.eventLoops()) {
            loop.submit(() -> { }).get(10, TimeUnit.SECONDS);
        }
    }
}
