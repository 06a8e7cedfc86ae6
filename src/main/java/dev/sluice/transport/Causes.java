package dev.sluice.transport;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How every transport reads a failure before it names it to a publisher: the exception that
 * actually happened, not the future's wrapper around it; the first of a kind anywhere in the
 * chain; the message at the bottom of the chain.
 */
final class Causes {
    private static final int MAX_DEPTH = 16;

    private Causes() {}

    /**
     * The failure inside the wrappers that futures and clients put around it: {@link CompletionException},
     * {@link ExecutionException}, and a bare {@link RuntimeException} that only carries a cause (jnats
     * wraps its API errors so).
     */
    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; depth < MAX_DEPTH && t.getCause() != null && t.getCause() != t; depth++) {
            if (t instanceof CompletionException || t instanceof ExecutionException || t.getClass() == RuntimeException.class) {
                t = t.getCause();
            } else {
                break;
            }
        }
        return t;
    }

    /** The first exception of the given type among the causes and suppressed exceptions, or null. */
    static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        return find(failure, type, 0);
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type, int depth) {
        if (t == null || depth > MAX_DEPTH) {
            return null;
        }
        if (type.isInstance(t)) {
            return type.cast(t);
        }
        for (Throwable s : t.getSuppressed()) {
            T found = find(s, type, depth + 1);
            if (found != null) {
                return found;
            }
        }
        return t.getCause() == t ? null : find(t.getCause(), type, depth + 1);
    }

    /** The message of the innermost cause (its class name when it has none). */
    static String rootMessage(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; depth < MAX_DEPTH && t.getCause() != null && t.getCause() != t; depth++) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
