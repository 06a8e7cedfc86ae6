package dev.sluice.interop;

import com.launchdarkly.eventsource.CommentEvent;
import com.launchdarkly.eventsource.ConnectStrategy;
import com.launchdarkly.eventsource.ErrorStrategy;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.FaultEvent;
import com.launchdarkly.eventsource.HttpConnectStrategy;
import com.launchdarkly.eventsource.MessageEvent;
import com.launchdarkly.eventsource.StartedEvent;
import com.launchdarkly.eventsource.StreamClosedByCallerException;
import com.launchdarkly.eventsource.StreamEvent;
import com.launchdarkly.eventsource.StreamException;
import com.launchdarkly.logging.LDLogger;
import com.launchdarkly.logging.Logs;
import dev.sluice.support.TlsTrust;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * LaunchDarkly's okhttp-eventsource (on OkHttp), read with its pull API in a virtual thread. It
 * shows comments as events; the retry delay it took from the stream is read with each message
 * (its own retry events are not public); an OkHttp interceptor records the Last-Event-ID of each
 * request it makes, and the protocol of the connection it went on.
 */
final class OkHttpEventSourceClient implements InteropClient {
    private final Target target;

    OkHttpEventSourceClient(Target target) {
        this.target = target;
    }

    @Override
    public ClientStream open(Subscription sub) throws Exception {
        ClientStream stream = new ClientStream("okhttp-eventsource", true, true);
        HttpConnectStrategy connect = ConnectStrategy.http(sub.url(target.hubUrl))
                .readTimeout(0, TimeUnit.MILLISECONDS)
                .clientBuilderActions(b -> {
                    if (target.protocol.tls) { // ALPN offers h2 and http/1.1: OkHttp takes h2 when offered
                        b.sslSocketFactory(target.hub.sslContext().getSocketFactory(),
                                TlsTrust.trustManager(target.hub.certificate()));
                    } else if (target.protocol == Protocol.H2C) {
                        b.protocols(List.of(okhttp3.Protocol.H2_PRIOR_KNOWLEDGE));
                    }
                    b.addNetworkInterceptor(chain -> {
                    stream.request(chain.request().header("Last-Event-ID"));
                    okhttp3.Protocol p = chain.connection() == null ? null : chain.connection().protocol();
                    if (p != null) {
                        stream.protocol(p == okhttp3.Protocol.HTTP_2 || p == okhttp3.Protocol.H2_PRIOR_KNOWLEDGE
                                ? "HTTP/2" : "HTTP/1.1");
                    }
                    return chain.proceed(chain.request());
                    });
                });
        if (sub.auth() == Subscription.Auth.HEADER) {
            connect = connect.header("Authorization", "Bearer " + sub.token());
        } else if (sub.auth() == Subscription.Auth.COOKIE) {
            connect = connect.header("Cookie", Subscription.COOKIE + "=" + sub.token());
        }
        EventSource.Builder builder = new EventSource.Builder(connect)
                .errorStrategy(ErrorStrategy.alwaysContinue())
                .logger(LDLogger.withAdapter(Logs.none(), ""));
        if (sub.lastEventId() != null) {
            builder.lastEventId(sub.lastEventId());
        }
        EventSource es = builder.build();
        java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    StreamEvent e = es.readAnyEvent();
                    long now = System.currentTimeMillis();
                    switch (e) {
                        case StartedEvent s -> stream.opened(now);
                        case MessageEvent m -> {
                            // Its retry delay is public only as a property: read it with each event.
                            stream.retry(es.getBaseRetryDelayMillis());
                            stream.event(m.getEventName(), m.getData(), m.getLastEventId() == null ? "" : m.getLastEventId());
                        }
                        case CommentEvent c -> stream.comment();
                        case FaultEvent f -> stream.error(now, null);
                        default -> stream.problem("unexpected " + e);
                    }
                }
            } catch (StreamClosedByCallerException closed) {
                // closed by the scenario
            } catch (StreamException | RuntimeException e) {
                if (!closing.get()) { // after close() it may still try to connect once, which is no concern here
                    stream.problem("okhttp-eventsource: " + e);
                }
            }
        });
        stream.onClose(() -> {
            closing.set(true);
            es.close();
            reader.join(5000);
        });
        return stream;
    }

    @Override
    public boolean reconnects() {
        return true;
    }

    @Override
    public void close() {
        // nothing shared: each subscription has its own EventSource
    }
}
