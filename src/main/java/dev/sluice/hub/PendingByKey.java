package dev.sluice.hub;

import java.util.HashMap;

/**
 * A behind subscriber's latest pending event per conflation key, drained in the order of each
 * key's latest update. Loop-confined.
 *
 * <p>Allocation: a key's slot is made once, the first time the key is held; replacing a held
 * event relinks the slot to the tail of an intrusive list and allocates nothing, so a subscriber
 * that stays behind while a topic updates thousands of times a second costs nothing per update.
 * The subscriber drops the whole map once it drains empty, so memory is held only while behind:
 * the allocation is per episode of being behind and per key, never per update.
 *
 * <p>Reference counting: a held event owns one reference to its chunk, released when it is
 * replaced, written ({@link #poll}'s caller releases it after writing a duplicate) or dropped
 * ({@link #releaseAll}).
 */
final class PendingByKey {

    private static final class Slot {
        final String key;
        Event event;
        Slot prev;
        Slot next;

        Slot(String key) {
            this.key = key;
        }
    }

    private final HashMap<String, Slot> slots = new HashMap<>();
    private Slot head;
    private Slot tail;
    private int held;

    /** Distinct keys with a pending event. */
    int size() {
        return held;
    }

    boolean isEmpty() {
        return held == 0;
    }

    /** True when this key has no slot yet (holding it would add a key). */
    boolean isNewKey(String key) {
        Slot s = slots.get(key);
        return s == null || s.event == null;
    }

    /**
     * Holds the event (the caller has retained it for this holder) as the latest for its key and
     * returns the event it replaced (whose reference the caller releases), or null.
     */
    Event hold(Event e) {
        Slot s = slots.get(e.conflateKey);
        if (s == null) {
            s = new Slot(e.conflateKey);
            slots.put(e.conflateKey, s);
        }
        Event older = s.event;
        if (older != null) {
            unlink(s);
        } else {
            held++;
        }
        s.event = e;
        linkLast(s);
        return older;
    }

    /** Takes the event of the oldest key (its reference passes to the caller), or null. */
    Event poll() {
        Slot s = head;
        if (s == null) {
            return null;
        }
        unlink(s);
        Event e = s.event;
        s.event = null;
        held--;
        return e;
    }

    /** Releases every held event and forgets the slots. */
    void releaseAll() {
        Event e;
        while ((e = poll()) != null) {
            e.chunk.release();
        }
        slots.clear();
    }

    private void linkLast(Slot s) {
        s.prev = tail;
        s.next = null;
        if (tail == null) {
            head = s;
        } else {
            tail.next = s;
        }
        tail = s;
    }

    private void unlink(Slot s) {
        if (s.prev == null) {
            head = s.next;
        } else {
            s.prev.next = s.next;
        }
        if (s.next == null) {
            tail = s.prev;
        } else {
            s.next.prev = s.prev;
        }
        s.prev = null;
        s.next = null;
    }
}
