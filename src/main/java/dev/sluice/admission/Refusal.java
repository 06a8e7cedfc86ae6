package dev.sluice.admission;

/**
 * Why a request is turned away before the hub sees it: the HTTP status, a plain-text message for
 * the client, and when it may try again ({@code Retry-After} in seconds, or 0 for no header).
 */
public record Refusal(int status, String reason, String message, long retryAfterSeconds) {

    public boolean hasRetryAfter() {
        return retryAfterSeconds > 0;
    }
}
