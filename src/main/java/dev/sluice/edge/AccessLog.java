package dev.sluice.edge;

import dev.sluice.metrics.HttpRoute;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opt-in access log ({@code --access-log}): one INFO line on the logger {@code sluice.access}
 * per publish and subscribe request answered, per stream opened and per stream closed, each with
 * the connection's id so a stream's open and close lines pair up. The fields are also attached as
 * key-value pairs, which the JSON log format writes as fields of their own.
 *
 * <p>It never logs a URL, a header or a body: tokens travel in the {@code Authorization} header,
 * the {@code authorization} query parameter and the {@code mercureAuthorization} cookie, so
 * nothing that could hold one is written.
 */
final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("sluice.access");

    private final boolean enabled;

    AccessLog(boolean enabled) {
        this.enabled = enabled;
    }

    boolean enabled() {
        return enabled;
    }

    /** A publish or subscribe request answered with a complete response (a refusal, or a publish's answer). */
    void answered(String connection, HttpRoute route, int status, int topics, long bytes, long nanos,
                  InetAddress client) {
        if (!enabled) {
            return;
        }
        double millis = millis(nanos);
        log.atInfo().addKeyValue("event", "request").addKeyValue("conn", connection)
                .addKeyValue("route", route.label()).addKeyValue("status", status).addKeyValue("topics", topics)
                .addKeyValue("bytes", bytes).addKeyValue("duration_ms", millis)
                .addKeyValue("client", address(client))
                .log("{} {} topics={} bytes={} {}ms client={} conn={}", route.label(), status, topics, bytes,
                        millis, address(client), connection);
    }

    /** A stream opened (its response head was written). */
    void streamOpened(String connection, int topics, boolean resumed, InetAddress client) {
        if (!enabled) {
            return;
        }
        log.atInfo().addKeyValue("event", "stream_open").addKeyValue("conn", connection)
                .addKeyValue("route", HttpRoute.SUBSCRIBE.label()).addKeyValue("status", 200)
                .addKeyValue("topics", topics).addKeyValue("resumed", resumed).addKeyValue("client", address(client))
                .log("stream open 200 topics={} resumed={} client={} conn={}", topics, resumed, address(client),
                        connection);
    }

    /** A stream ended, with why, how many bytes it was sent and how long it lasted. */
    void streamClosed(String connection, String cause, long bytes, long nanos, InetAddress client) {
        if (!enabled) {
            return;
        }
        double millis = millis(nanos);
        log.atInfo().addKeyValue("event", "stream_close").addKeyValue("conn", connection)
                .addKeyValue("route", HttpRoute.SUBSCRIBE.label()).addKeyValue("cause", cause)
                .addKeyValue("bytes", bytes).addKeyValue("duration_ms", millis)
                .addKeyValue("client", address(client))
                .log("stream close cause={} bytes={} {}ms client={} conn={}", cause, bytes, millis, address(client),
                        connection);
    }

    /** Milliseconds to the microsecond. */
    private static double millis(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }

    private static String address(InetAddress client) {
        return client == null ? "-" : client.getHostAddress();
    }
}
