package dev.sluice.edge;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Hub-generated update ids: {@code urn:uuid:} and a UUID version 7 (RFC 9562): 48 bits of Unix
 * milliseconds, then random bits, so ids sort by creation time and are unique without
 * coordination between nodes.
 */
public final class Ids {
    private Ids() {}

    public static String newId() {
        long millis = System.currentTimeMillis();
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (millis << 16) | 0x7000L | (r.nextLong() & 0x0fffL);
        long lsb = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return "urn:uuid:" + new java.util.UUID(msb, lsb);
    }
}
