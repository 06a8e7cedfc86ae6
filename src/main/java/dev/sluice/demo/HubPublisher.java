package dev.sluice.demo;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Publishes over the Mercure publish endpoint of any hub, as every publisher does: a form-encoded
 * POST with a bearer token. The caller publishes one message at a time per connection, so a
 * topic's updates reach the hub in order.
 *
 * <p>What the hub answers decides what happens: 200 is published; 429 (a rate limit) and 503 (the
 * hub cannot store it now) are tried again after {@code Retry-After} (at most 5 s) or half a
 * second, as long as the feed runs, so no quote is skipped; a refused token (401, 403) stops the
 * feed with the hub's reason; any other answer drops that message and is counted.
 */
final class HubPublisher {

    /** The hub refused the token: nothing this feed publishes will be accepted. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    private static final long MAX_RETRY_WAIT_MILLIS = 5_000;

    private final HttpClient http;
    private final URI hub;
    private final String authorization;

    HubPublisher(HttpClient http, URI hub, String token) {
        this.http = http;
        this.hub = hub;
        this.authorization = "Bearer " + token;
    }

    /** True when the hub accepted it, false when it was dropped (counted by the caller). */
    boolean publish(Market.Message m, BooleanSupplier running, DemoFeed.Counters counters)
            throws InterruptedException {
        String body = "topic=" + URLEncoder.encode(m.topic(), StandardCharsets.UTF_8)
                + "&data=" + URLEncoder.encode(m.data(), StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(hub).timeout(Duration.ofSeconds(10))
                .header("Authorization", authorization)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        while (running.getAsBoolean()) {
            HttpResponse<String> res;
            try {
                res = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                counters.retried("unreachable: " + e.getClass().getSimpleName());
                Thread.sleep(500);
                continue;
            }
            int status = res.statusCode();
            if (status == 200) {
                return true;
            }
            String reason = res.body().strip();
            if (status == 401 || status == 403) {
                throw new Refused("the hub at " + hub + " refused the publisher token (" + status + "): " + reason);
            }
            if (status == 429 || status == 503) {
                counters.retried("http " + status);
                long wait = res.headers().firstValue("Retry-After").map(HubPublisher::seconds).orElse(500L);
                Thread.sleep(Math.min(MAX_RETRY_WAIT_MILLIS, Math.max(50, wait)));
                continue;
            }
            counters.dropped("http " + status + ": " + (reason.length() > 200 ? reason.substring(0, 200) : reason));
            return false;
        }
        return false;
    }

    private static long seconds(String header) {
        try {
            return Long.parseLong(header.trim()) * 1000;
        } catch (NumberFormatException e) {
            return 500;
        }
    }
}
