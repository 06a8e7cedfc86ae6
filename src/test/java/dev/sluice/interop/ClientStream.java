package dev.sluice.interop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What one subscription of a client has shown so far, filled in by the client adapter as things
 * happen: dispatched events, (re)openings, the Last-Event-ID of each request where the client's
 * requests can be observed, the HTTP version of its connections where that can be observed, and,
 * for clients that see the raw stream, comments and retry values.
 * Problems are errors the client reported and, for the linting parser, what it found.
 */
final class ClientStream implements AutoCloseable {
    private final String description;
    private final List<Received> events = new ArrayList<>();
    private final List<Long> opens = new ArrayList<>();
    private final List<Long> errors = new ArrayList<>();
    private final List<String> requests = new ArrayList<>();
    private final List<Long> retries = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> protocols = new ArrayList<>();
    /** Errors after which the client reconnects: no problem, but shown when a scenario fails. */
    private final List<String> notes = new ArrayList<>();
    private int comments;
    private boolean ended;
    private String lastEventId;
    private final boolean requestsObservable;
    private final boolean rawVisible;
    private AutoCloseable closer = () -> { };

    ClientStream(String description, boolean requestsObservable, boolean rawVisible) {
        this.description = description;
        this.requestsObservable = requestsObservable;
        this.rawVisible = rawVisible;
    }

    void onClose(AutoCloseable c) {
        this.closer = c;
    }

    synchronized void event(String type, String data, String id) {
        events.add(new Received(type, data, id));
        lastEventId = id;
        notifyAll();
    }

    synchronized void opened(long atMillis) {
        opens.add(atMillis);
        notifyAll();
    }

    /** An error the client reported: a problem when it gave up, else (a reconnection follows) only shown. */
    synchronized void error(long atMillis, String message, boolean problem) {
        errors.add(atMillis);
        if (message != null) {
            (problem ? problems : notes).add("error: " + message);
        }
        notifyAll();
    }

    synchronized void error(long atMillis, String message) {
        error(atMillis, message, message != null);
    }

    synchronized void request(String lastEventIdHeader) {
        requests.add(lastEventIdHeader);
        notifyAll();
    }

    /** The HTTP version a connection of this subscription speaks ("HTTP/1.1", "HTTP/2"), where observed. */
    synchronized void protocol(String version) {
        protocols.add(version);
    }

    synchronized List<String> protocols() {
        return List.copyOf(protocols);
    }

    synchronized void comment() {
        comments++;
    }

    synchronized void retry(long millis) {
        retries.add(millis);
    }

    synchronized void problem(String p) {
        problems.add(p);
        notifyAll();
    }

    /** The server ended the body (clients that do not reconnect); id is the last event id kept. */
    synchronized void ended(String lastEventIdKept) {
        ended = true;
        lastEventId = lastEventIdKept;
        notifyAll();
    }

    synchronized List<Received> events() {
        return List.copyOf(events);
    }

    synchronized List<Long> opens() {
        return List.copyOf(opens);
    }

    synchronized List<Long> errors() {
        return List.copyOf(errors);
    }

    /** Last-Event-ID header of each request (null entries: none sent); null when not observable. */
    synchronized List<String> requests() {
        return requestsObservable ? new ArrayList<>(requests) : null;
    }

    /** Retry values seen on the wire; null when the client does not show them. */
    synchronized List<Long> retries() {
        return rawVisible ? List.copyOf(retries) : null;
    }

    /** Comment lines seen on the wire; -1 when the client does not show them. */
    synchronized int comments() {
        return rawVisible ? comments : -1;
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    synchronized boolean isEnded() {
        return ended;
    }

    synchronized String lastEventId() {
        return lastEventId;
    }

    /** Waits until the stream opened {@code n} times. */
    void awaitOpens(int n, Duration timeout) throws InterruptedException {
        awaitState(s -> s.opens.size() >= n, timeout, n + " opening(s)");
    }

    /** Waits for at least {@code n} events and returns them all. */
    List<Received> awaitEvents(int n, Duration timeout) throws InterruptedException {
        awaitState(s -> s.events.size() >= n, timeout, n + " event(s)");
        return events();
    }

    void awaitEnded(Duration timeout) throws InterruptedException {
        awaitState(s -> s.ended, timeout, "the end of the stream");
    }

    private synchronized void awaitState(Predicate<ClientStream> done, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(this)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(description + ": no " + what + " within " + timeout + "; " + this);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    @Override
    public synchronized String toString() {
        return "opens=" + opens.size() + " events=" + events + " requests=" + requests + " problems=" + problems
                + (notes.isEmpty() ? "" : " errors before reconnecting=" + notes) + (ended ? " ended" : "");
    }

    @Override
    public void close() throws Exception {
        closer.close();
    }
}
