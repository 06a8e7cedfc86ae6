package dev.sluice.transport;

import dev.sluice.config.Config;

/**
 * The transport contract on the memory transport. Only the common part applies: its log is the
 * node's own history, so no other node shares it and a node started later starts empty (no
 * replay at start), and there is no engine that could go away (no outage, no recovery).
 */
class MemoryTransportContractTest extends TransportContract {

    @Override
    protected void configure(Config.Builder b) {
        b.transport("memory");
    }

    @Override
    protected int nodesSharingTheLog() {
        return 1;
    }

    @Override
    protected String description() {
        return "ready (memory)";
    }
}
