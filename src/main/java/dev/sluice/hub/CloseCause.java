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
    /** The gateway is draining (SIGTERM): ended in waves so clients reconnect elsewhere, spread out. */
    DRAIN,
    /** A limit ended it (a connection limit lowered, or the node shedding load). */
    LIMIT,
    /** It reached the longest a stream may stay open, and the client reconnects. */
    MAX_AGE,
    /** An unexpected error on the connection. */
    ERROR;

    /** The metric label: lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
