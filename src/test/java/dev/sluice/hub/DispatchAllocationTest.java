package dev.sluice.hub;

import dev.sluice.topic.Update;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.IoKind;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import io.netty.util.concurrent.EventExecutor;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The fan-out path allocates nothing per subscriber per event: updates are accepted from this
 * thread (so encoding is not counted), and the bytes allocated by the event-loop threads, which
 * do all matching, writing and flushing, are divided by the deliveries they made. A duplicate, a
 * promise or a string per delivery would cost 40 bytes or more; measured: about 0.03 bytes per
 * delivery (a task scheduled now and then when a busy loop yields), nothing per delivery.
 *
 * <p>Runs in its own surefire execution with the gateway's production Netty settings (see
 * {@code Gateway.applyNettyDefaults}): with Netty's default 32-slot recycler chunks and sampling leak
 * detector it measures about 20 bytes per delivery, all inside Netty.
 *
 * <p>Held to nothing on native epoll (what {@code --io auto} takes), measured on io_uring (see
 * {@link #ioUringDeliveriesAreMeasured}), each skipped (with the reason) where it is not
 * available: on NIO
 * the same run allocates about 170 bytes per delivery outside the gateway's code (Netty's NIO
 * transport makes a {@code java.nio.ByteBuffer} view of each buffer it writes, and the JDK's
 * {@code IOUtil.write} allocates its own bookkeeping per call).
 */
class DispatchAllocationTest {

    @Test
    void deliveriesAllocateNothingPerSubscriber() throws Exception {
        deliveriesAllocateNothing(IoKind.EPOLL);
    }

    /**
     * The same fan-out on io_uring ({@code --io io_uring}) is measured and held to a bound, not to
     * zero: Netty's io_uring transport makes two objects per socket write it submits (the
     * {@code IoUringIoOps} describing the send, 64 bytes, and the processor that gathers the
     * buffers into the iovec array), however many events that write carries. Here a write carries
     * several events: 11-15 bytes per delivery were measured (8 with a ring of 4,096 entries
     * instead of Netty's 128); with a single event per write (a broadcast at a low rate) it comes to one
     * 64-byte descriptor per delivery. The gateway's own part stays at nothing, which the bound
     * keeps honest: a duplicate or promise of ours per delivery would add 40 bytes or more.
     * Skipped, with the reason, where io_uring is not available.
     */
    @Test
    void ioUringDeliveriesAreMeasured() throws Exception {
        double perDelivery = deliveriesAllocate(IoKind.IO_URING);
        assertThat(perDelivery).isLessThan(40.0);
    }

    private static void deliveriesAllocateNothing(IoKind io) throws Exception {
        assertThat(deliveriesAllocate(io)).isLessThan(1.0);
    }

    /** Bytes allocated by the event loops per delivery of a fan-out to 200 HTTP/1.1 streams. */
    private static double deliveriesAllocate(IoKind io) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).heartbeat(Duration.ZERO))) {
            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                streams.add(hub.subscribe(i % 2 == 0 ? "topic=alloc" : "topic=" + TestHub.q("all{/x}")));
            }
            List<Long> loopThreads = new ArrayList<>();
            for (EventExecutor loop : hub.gateway.eventLoops()) {
                loopThreads.add(loop.submit(() -> Thread.currentThread().threadId()).get());
            }
            Hub h = hub.gateway.hub();
            Update update = new Update("x", List.of("alloc", "all/y"), "d".repeat(100), false, null, -1);
            // Warm up the code paths, recyclers and queues.
            publish(h, update, 2_000, 200, streams);

            long before = allocated(threads, loopThreads);
            long deliveriesBefore = h.stats().deliveries();
            publish(h, update, 5_000, 200, streams);
            long bytes = allocated(threads, loopThreads) - before;
            long deliveries = h.stats().deliveries() - deliveriesBefore;

            assertThat(deliveries).isEqualTo(5_000L * 200);
            double perDelivery = (double) bytes / deliveries;
            System.out.printf("dispatch (%s): %d deliveries, %d bytes allocated on event loops, %.2f bytes per delivery%n",
                    io, deliveries, bytes, perDelivery);
            for (SseStream s : streams) {
                s.close();
            }
            return perDelivery;
        }
    }

    /**
     * The same fan-out to HTTP/2 streams (200 streams on h2c connections of the JDK client) is
     * measured and printed, not held to zero: Netty's HTTP/2 child channels allocate per frame
     * written (the DATA frame object, a promise and its listener in the child channel, a queue
     * entry in the flow controller). The bound only catches a regression far past that.
     */
    @Test
    void http2DeliveriesAreMeasured() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (TestHub hub = TestHub.start(IoKind.EPOLL, b -> b.anonymous(true).heartbeat(Duration.ZERO))) {
            java.net.http.HttpClient h2c = java.net.http.HttpClient.newBuilder()
                    .version(java.net.http.HttpClient.Version.HTTP_2).build();
            List<SseStream> streams = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                var res = h2c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.hubUrl + "?topic=alloc"))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
                assertThat(res.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
                streams.add(new SseStream(res));
            }
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 200);
            List<Long> loopThreads = new ArrayList<>();
            for (EventExecutor loop : hub.gateway.eventLoops()) {
                loopThreads.add(loop.submit(() -> Thread.currentThread().threadId()).get());
            }
            Hub h = hub.gateway.hub();
            Update update = new Update("x", List.of("alloc"), "d".repeat(100), false, null, -1);
            publish(h, update, 1_000, 200, streams);

            long before = allocated(threads, loopThreads);
            long deliveriesBefore = h.stats().deliveries();
            publish(h, update, 2_000, 200, streams);
            long bytes = allocated(threads, loopThreads) - before;
            long deliveries = h.stats().deliveries() - deliveriesBefore;

            assertThat(deliveries).isEqualTo(2_000L * 200);
            double perDelivery = (double) bytes / deliveries;
            System.out.printf("dispatch over HTTP/2: %d deliveries, %d bytes allocated on event loops, %.1f bytes per"
                    + " delivery%n", deliveries, bytes, perDelivery);
            assertThat(perDelivery).isLessThan(1024.0);
            for (SseStream s : streams) {
                s.close();
            }
        }
    }

    /**
     * What opening one HTTP/1.1 stream costs the event loops in garbage (accept, request parsing,
     * routing, the switch to a stream, registration, the head and the opening): the young
     * generation an idle connection leaves behind. Raw sockets send what the load generator and
     * browsers send; the bytes allocated by the loops are divided by the streams opened. Printed,
     * and bounded so that a regression towards the former figure fails: 8.5 KiB per stream, of
     * which a regular expression compiled per request, a head built as a String per stream, an
     * unpooled direct buffer per opening and a percent-decoding pass were ours; about 5.2 KiB now,
     * mostly Netty's (the channel, the HTTP/1.1 pipeline it starts with, the parsed request).
     */
    @Test
    void openingAStreamIsMeasured() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (TestHub hub = TestHub.start(IoKind.EPOLL, b -> b.anonymous(true).heartbeat(Duration.ZERO))) {
            List<Long> loopThreads = new ArrayList<>();
            for (EventExecutor loop : hub.gateway.eventLoops()) {
                loopThreads.add(loop.submit(() -> Thread.currentThread().threadId()).get());
            }
            List<java.net.Socket> sockets = new ArrayList<>();
            try {
                openStreams(hub, sockets, 1_000); // warm-up: compiled code, pooled buffers, recyclers
                int n = 2_000;
                long before = allocated(threads, loopThreads);
                openStreams(hub, sockets, n);
                long perStream = (allocated(threads, loopThreads) - before) / n;
                System.out.printf("opening a stream: %d bytes allocated on event loops per HTTP/1.1 subscribe%n",
                        perStream);
                assertThat(hub.gateway.hub().subscribers()).isEqualTo(3_000);
                assertThat(perStream).isLessThan(7_168L);
            } finally {
                for (java.net.Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    /** Opens n streams over raw sockets, 100 at a time, each confirmed by its response head. */
    private static void openStreams(TestHub hub, List<java.net.Socket> sockets, int n) throws Exception {
        byte[] request = ("GET /.well-known/mercure?topic=" + TestHub.q("https://example.com/books/1") + " HTTP/1.1\r\n"
                + "Host: " + hub.hubUrl.getHost() + ":" + hub.hubUrl.getPort() + "\r\n"
                + "Accept: text/event-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] ok = "HTTP/1.1 200 OK".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int done = 0; done < n; ) {
            List<java.net.Socket> batch = new ArrayList<>();
            for (int i = 0; i < 100 && done < n; i++, done++) {
                java.net.Socket s = new java.net.Socket(hub.hubUrl.getHost(), hub.hubUrl.getPort());
                sockets.add(s);
                batch.add(s);
                s.getOutputStream().write(request);
            }
            for (java.net.Socket s : batch) {
                s.setSoTimeout(10_000);
                byte[] head = s.getInputStream().readNBytes(ok.length);
                assertThat(head).isEqualTo(ok);
            }
        }
    }

    /** Accepts n updates, in bursts, and waits until every stream has read them all. */
    private static void publish(Hub h, Update u, int n, int subscribers, List<SseStream> streams) {
        long start = h.stats().deliveries();
        long target = start + (long) n * subscribers;
        for (int i = 0; i < n; i++) {
            h.accept(u);
            if (i % 100 == 99) {
                // at most 50 accepted updates not yet delivered everywhere
                long due = start + (long) (i + 1 - 50) * subscribers;
                try {
                    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> h.stats().deliveries() >= Math.min(due, target));
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("stalled at " + h.stats().deliveries() + " of " + due + " deliveries; subscribers "
                            + h.subscribers() + ", slow disconnects " + h.stats().slowDisconnects() + ", queued "
                            + h.stats().queuedDispatches(), e);
                }
            }
        }
        try {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> h.stats().deliveries() >= target);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("stalled at " + h.stats().deliveries() + " of " + target + " deliveries; subscribers "
                    + h.subscribers() + ", slow disconnects " + h.stats().slowDisconnects() + ", queued " + h.stats().queuedDispatches(), e);
        }
        streams.forEach(s -> s.reader.events.clear());
    }

    private static long allocated(com.sun.management.ThreadMXBean threads, List<Long> ids) {
        long sum = 0;
        for (long id : ids) {
            sum += threads.getThreadAllocatedBytes(id);
        }
        return sum;
    }
}
