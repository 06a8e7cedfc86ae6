package dev.sluice.interop;

/** One event as a client dispatched it: its type, its data and the client's last event id then. */
record Received(String type, String data, String lastEventId) {

    @Override
    public String toString() {
        return type + "|" + data.replace("\n", "\\n") + "|" + lastEventId;
    }
}
