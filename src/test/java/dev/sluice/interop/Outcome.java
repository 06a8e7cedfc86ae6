package dev.sluice.interop;

/**
 * The result of one scenario for one client over one protocol: a cell of the table. A note is
 * shown as a footnote (why a scenario does not apply, or how it passed when that differs from
 * the other clients); a failure's note is its message.
 */
record Outcome(ClientKind client, Protocol protocol, Scenario scenario, Status status, String note) {

    enum Status { PASS, FAIL, NA }

    static Outcome pass(ClientKind c, Protocol p, Scenario s, String noteOrNull) {
        return new Outcome(c, p, s, Status.PASS, noteOrNull);
    }

    static Outcome na(ClientKind c, Protocol p, Scenario s, String why) {
        return new Outcome(c, p, s, Status.NA, why);
    }

    static Outcome fail(ClientKind c, Protocol p, Scenario s, String why) {
        return new Outcome(c, p, s, Status.FAIL, why);
    }
}
