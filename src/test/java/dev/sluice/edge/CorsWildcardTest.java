package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code --cors-origins} with {@code *}: every origin may read without credentials, and only a
 * listed origin is echoed with {@code Access-Control-Allow-Credentials} (so a cookie subscriber's
 * private updates cannot be read by any site it visits).
 */
class CorsWildcardTest {

    @Test
    void theWildcardNeverCarriesCredentialsAndAListedOriginDoes() throws Exception {
        String listed = "https://app.example";
        try (TestHub hub = TestHub.start(b -> b.anonymous(true).corsOrigins(List.of("*", listed)))) {
            try (SseStream any = hub.subscribe("topic=a", "Origin", "https://evil.example")) {
                assertThat(any.header("access-control-allow-origin")).isEqualTo("*");
                assertThat(any.header("access-control-allow-credentials")).isNull();
            }
            try (SseStream app = hub.subscribe("topic=a", "Origin", listed)) {
                assertThat(app.header("access-control-allow-origin")).isEqualTo(listed);
                assertThat(app.header("access-control-allow-credentials")).isEqualTo("true");
            }
            HttpResponse<String> preflight = hub.http.send(HttpRequest.newBuilder(hub.hubUrl)
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://evil.example")
                    .header("Access-Control-Request-Method", "GET").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(preflight.headers().firstValue("access-control-allow-origin")).hasValue("*");
            assertThat(preflight.headers().firstValue("access-control-allow-credentials")).isEmpty();
        }
    }
}
