package dev.sluice.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.browser.Chromium;
import dev.sluice.support.TlsTrust;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chromium's native {@code EventSource} on a page served by the gateway (same origin, so no
 * CORS): every subscription is an {@code EventSource} in that page, which queues what happens to
 * it; a poller drains the queue every 50 ms into the subscriptions' {@link ClientStream}s.
 */
final class ChromiumClient implements InteropClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Target target;
    private final Chromium browser;
    private final Map<String, ClientStream> streams = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Thread poller;
    /** The HTTP version of the page's own connection, which its same-origin EventSources use too. */
    private final String pageProtocol;
    private volatile boolean closed;

    ChromiumClient(Target target) throws Exception {
        this.target = target;
        // Over TLS it trusts the gateway's self-signed certificate, and no other, by its key; for
        // h3 it speaks QUIC to the gateway's origin from the first request on.
        this.browser = target.protocol == Protocol.H3
                ? new Chromium(Chromium.require(), target.page.toString(),
                        Chromium.forceQuic(target.hub.gateway.port(), TlsTrust.spkiSha256(target.hub.certificate())))
                : target.protocol.tls
                ? new Chromium(Chromium.require(), target.page.toString(),
                        java.util.List.of("--ignore-certificate-errors-spki-list=" + TlsTrust.spkiSha256(target.hub.certificate())))
                : new Chromium(Chromium.require(), target.page.toString());
        String alpn = browser.eval("performance.getEntriesByType('navigation')[0].nextHopProtocol", Duration.ofSeconds(5))
                .asText();
        this.pageProtocol = switch (alpn) {
            case "h2" -> "HTTP/2";
            case "h3" -> "HTTP/3";
            case "http/1.1" -> "HTTP/1.1";
            default -> alpn;
        };
        this.poller = Thread.ofVirtual().start(this::poll);
    }

    @Override
    public ClientStream open(Subscription sub) throws Exception {
        String id = "s" + ids.incrementAndGet();
        ClientStream stream = new ClientStream("Chromium " + id, false, false);
        streams.put(id, stream);
        stream.protocol(pageProtocol);
        if (sub.auth() == Subscription.Auth.COOKIE) {
            // As a page's script would after signing in; the cookie goes with every request to the hub.
            browser.eval("document.cookie = " + JSON.writeValueAsString(Subscription.COOKIE + "=" + sub.token()
                    + "; path=/.well-known/mercure; SameSite=Strict") + "; true", Duration.ofSeconds(5));
        }
        browser.eval("""
                (() => {
                  const id = %1$s;
                  const push = x => (window.__iq || (window.__iq = [])).push(x); // the poller swaps the queue
                  const es = new EventSource(%2$s);
                  (window.__ies || (window.__ies = {}))[id] = es;
                  const rec = e => push({ sub: id, kind: 'event', type: e.type, data: e.data, lastEventId: e.lastEventId, t: Date.now() });
                  es.onmessage = rec;
                  for (const t of %3$s) es.addEventListener(t, rec);
                  es.onopen = () => push({ sub: id, kind: 'open', t: Date.now() });
                  es.onerror = () => push({ sub: id, kind: 'error', closed: es.readyState === 2, t: Date.now() });
                  return true;
                })()""".formatted(JSON.writeValueAsString(id), JSON.writeValueAsString(sub.pathAndQuery(target.hubUrl)),
                JSON.writeValueAsString(sub.types())), Duration.ofSeconds(10));
        stream.onClose(() -> {
            streams.remove(id);
            browser.eval("window.__ies[" + JSON.writeValueAsString(id) + "].close(); true", Duration.ofSeconds(5));
        });
        return stream;
    }

    /** Opens {@code n} EventSources at once and returns them (the 15-streams scenario). */
    ClientStream[] openMany(Subscription sub, int n) throws Exception {
        ClientStream[] out = new ClientStream[n];
        for (int i = 0; i < n; i++) {
            out[i] = open(sub);
        }
        return out;
    }

    private void poll() {
        while (!closed) {
            try {
                JsonNode queued = browser.eval("(() => { const q = window.__iq || []; window.__iq = []; return q; })()",
                        Duration.ofSeconds(5));
                for (JsonNode l : queued) {
                    ClientStream s = streams.get(l.path("sub").asText());
                    if (s == null) {
                        continue;
                    }
                    long t = l.path("t").asLong();
                    switch (l.path("kind").asText()) {
                        case "open" -> s.opened(t);
                        case "event" -> s.event(l.path("type").asText(), l.path("data").asText(), l.path("lastEventId").asText());
                        case "error" -> s.error(t, l.path("closed").asBoolean() ? "closed: the browser gave up" : null);
                        default -> s.problem("unexpected " + l);
                    }
                }
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (!closed) {
                    streams.values().forEach(s -> s.problem("page unreachable: " + e));
                }
            }
        }
    }

    @Override
    public boolean reconnects() {
        return true;
    }

    @Override
    public int parallelism() {
        // Each scenario holds at most two EventSources; over HTTP/1.1 the page has six connections.
        return target.protocol == Protocol.HTTP1 ? 3 : 64;
    }

    @Override
    public void close() throws Exception {
        closed = true;
        poller.interrupt();
        browser.close();
    }
}
