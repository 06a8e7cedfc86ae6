package dev.sluice.hub;

import java.util.Locale;

/** Why a stream ended; counted per cause ({@code sluice_streams_closed_total{cause}}). */
public enum CloseCause {
    /** The client went away (closed or reset its connection). */
    CLIENT,
    /** More bytes waited for it than its budget, or it needed too many conflation keys. */
    SLOW,
    /** Its token expired. */
    TOKEN_EXPIRED,
    /** The gateway is stopping. */
    SHUTDOWN,
    /** An unexpected error on the connection. */
    ERROR,
    /** It reached its maximum age ({@code --max-connection-age}), so that clients spread over nodes again. */
    MAX_AGE;

    /** The metric label: lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
