package dev.sluice.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.support.TestHub;
import dev.sluice.support.TlsTrust;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Chromium's EventSource over HTTP/2 with TLS: fifteen EventSources on one page (more than the six
 * connections a browser allows per origin over HTTP/1.1) all open and all receive; the page and
 * every stream negotiated h2, over at most two connections. The browser trusts only the gateway's
 * self-signed certificate (by its public key hash).
 */
class BrowserHttp2Test {

    @Test
    void fifteenEventSourcesOnOnePageShareOneHttp2Connection() throws Exception {
        Path binary = Chromium.find();
        if (binary == null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("Chromium is required in CI (the test script installs it)");
        }
        Assumptions.assumeTrue(binary != null, "Chromium is not installed: apt-get install chromium");
        try (TestHub hub = TestHub.startTls(b -> b.anonymous(true));
             Chromium browser = new Chromium(binary, hub.origin + "/healthz",
                     List.of("--ignore-certificate-errors-spki-list=" + TlsTrust.spkiSha256(hub.certificate())))) {
            JsonNode opened = browser.eval("""
                    new Promise((resolve, reject) => {
                      window.got = [];
                      let open = 0;
                      for (let i = 0; i < 15; i++) {
                        const es = new EventSource('/.well-known/mercure?topic=page');
                        window.got[i] = [];
                        es.onmessage = e => window.got[i].push(e.data);
                        es.onopen = () => { if (++open === 15) resolve(open); };
                      }
                      setTimeout(() => reject(new Error('only ' + open + ' of 15 EventSources opened')), 15000);
                    })""", Duration.ofSeconds(20));
            assertThat(opened.asInt()).isEqualTo(15);
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 15);

            hub.publishOk("topic", "page", "data", "to every tab");
            JsonNode got = browser.eval("""
                    new Promise((resolve, reject) => {
                      const started = Date.now();
                      const check = () => {
                        if (window.got.every(g => g.length >= 1)) resolve(window.got.map(g => g[0]));
                        else if (Date.now() - started > 15000) reject(new Error(JSON.stringify(window.got)));
                        else setTimeout(check, 20);
                      };
                      check();
                    })""", Duration.ofSeconds(20));
            assertThat(got).hasSize(15);
            got.forEach(data -> assertThat(data.asText()).isEqualTo("to every tab"));

            JsonNode protocols = browser.eval("""
                    Promise.resolve(performance.getEntriesByType('navigation')
                        .concat(performance.getEntriesByType('resource')).map(e => e.nextHopProtocol))""",
                    Duration.ofSeconds(10));
            assertThat(protocols).isNotEmpty();
            protocols.forEach(p -> assertThat(p.asText()).isEqualTo("h2"));
            // The fifteen streams are multiplexed: the browser holds at most two connections to the
            // origin (Chromium keeps uncredentialed requests such as the favicon on a connection of
            // their own), where HTTP/1.1 would need fifteen (and allows six). Checked where ss can
            // name the process of each connection.
            Integer connections = browserConnectionsTo(hub.gateway.port());
            if (connections != null) {
                assertThat(connections).isBetween(1, 2);
            }
        }
    }

    /**
     * The browser's TCP connections to the port, as ss counts them (the test's own publishing
     * client has one too); null where ss is missing or cannot name processes.
     */
    private static Integer browserConnectionsTo(int port) throws Exception {
        Process ss;
        try {
            // The client ends of connections to the port, with the process that holds each.
            ss = new ProcessBuilder("ss", "-Htnp", "state", "established", "( dport = :" + port + " )")
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException missing) {
            return null;
        }
        String out = new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!ss.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || ss.exitValue() != 0) {
            return null;
        }
        if (!out.contains("users:")) {
            return null; // ss cannot show processes here
        }
        return (int) out.lines().filter(l -> l.contains("chrom")).count();
    }
}
