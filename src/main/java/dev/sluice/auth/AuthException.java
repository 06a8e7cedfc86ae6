package dev.sluice.auth;

/**
 * A refused token or authorization input. The message is a short human sentence saying what was
 * wrong (for example "token expired at 2026-11-21T10:00:00Z") and is meant to be logged or returned
 * to the client as-is; it never contains key material.
 *
 * <p>No stack trace is captured: refusals are an expected outcome on the request path, possibly
 * at a high rate from a misbehaving client, and the message already says everything useful. A
 * wrapped cause keeps its own trace.
 */
public final class AuthException extends Exception {

    public AuthException(String message) {
        super(message, null, false, false);
    }

    public AuthException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
