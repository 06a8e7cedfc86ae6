package dev.sluice.interop;

/**
 * The scenario set every client runs on every protocol it speaks: one column of the
 * compatibility table each. What each one checks is in {@link Scenarios}.
 */
enum Scenario {
    PUBLIC("Public"),
    PRIVATE("Private"),
    MULTI_LINE("Multi-line"),
    EVENT_TYPE("`event` type"),
    RETRY("`retry`"),
    RECONNECT("Reconnect"),
    NON_ASCII("Non-ASCII"),
    HEARTBEAT("Heartbeats"),
    TOKEN_HEADER("Token: header"),
    TOKEN_COOKIE("Token: cookie"),
    TOKEN_QUERY("Token: query"),
    FIFTEEN_STREAMS("15 streams");

    /** The column title. */
    final String title;

    Scenario(String title) {
        this.title = title;
    }
}
