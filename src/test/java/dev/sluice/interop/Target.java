package dev.sluice.interop;

import dev.sluice.support.TestHub;
import io.netty.util.concurrent.EventExecutor;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One gateway shared by every client and scenario of a protocol, and how clients reach it. Each
 * scenario works on topics of its own, so they run side by side.
 *
 * <p>Its settings are the ones the scenarios rely on: anonymous subscribers (public updates), a
 * short heartbeat (so every idle stream gets several while the scenarios run, and none may show
 * up as an event), one retry value for the opening and for streams the gateway ends ({@link
 * #RETRY}: longer than every client's default, so that obeying it shows without any upper bound on
 * time, and so that updates published right after a stream ended surely reach the client only
 * through its resume), and non-ASCII ids.
 */
final class Target implements AutoCloseable {
    /** The reconnection time the gateway announces. */
    static final Duration RETRY = Duration.ofSeconds(5);
    static final Duration HEARTBEAT = Duration.ofMillis(250);

    final Protocol protocol;
    final TestHub hub;
    /** The subscribe URL as clients of this protocol use it. */
    final URI hubUrl;
    /** The page a browser opens first, on the gateway's own origin. */
    final URI page;

    private Target(Protocol protocol, TestHub hub, URI base) {
        this.protocol = protocol;
        this.hub = hub;
        this.hubUrl = base.resolve("/.well-known/mercure");
        this.page = base.resolve("/healthz");
    }

    static Target start(Protocol protocol) throws Exception {
        TestHub hub = TestHub.start(b -> {
            b.anonymous(true).heartbeat(HEARTBEAT).retry(RETRY).allowNonAsciiIds(true);
            b.slowClientRetry = RETRY;
        });
        return switch (protocol) {
            case HTTP1 -> new Target(protocol, hub, URI.create("http://127.0.0.1:" + hub.gateway.port()));
        };
    }

    /**
     * Ends every stream subscribed to exactly this one topic, as the gateway does when it drains or
     * cuts a subscriber loose (a comment, a {@code retry:} hint, the end of the body), and returns
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

    @Override
    public void close() {
        hub.close();
    }
}
