package dev.sluice.edge;

import dev.sluice.admission.RequestLimits;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http3.DefaultHttp3SettingsFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3FrameToHttpObjectCodec;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.http3.Http3Settings;
import io.netty.handler.codec.quic.Quic;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/3: a UDP socket on the port number of the TLS listener, speaking QUIC with the same
 * certificate (see {@link ServerTls#quicContext}) and ALPN {@code h3}.
 *
 * <p>Each request stream is a child channel whose pipeline is that of an HTTP/2 stream: Netty's
 * HTTP/3 frame codec and validators first, then the same HTTP codec (frames to HTTP objects),
 * response observer, body aggregation with its limit and router, so every endpoint answers the
 * same on all three protocols. A subscribe turns the stream into an SSE stream written through an
 * {@link Http3SseFramer}, which also counts the bytes queued on it for the subscriber's budget.
 *
 * <p>All QUIC connections share the one socket, so they and their streams run on one event loop
 * of the workers (the socket's); the hub dispatches to them there as to any other subscriber.
 * The concurrent request streams of a connection are bounded by
 * {@code --http2-max-concurrent-streams} (QUIC's bidirectional stream limit, renewed as streams
 * end).
 */
final class Http3Server {

    private static final Logger log = LoggerFactory.getLogger(Http3Server.class);

    /** What QUIC lets a client send on one request stream before it reads (request bodies). */
    private static final long STREAM_RECEIVE_WINDOW = 256 * 1024;
    /** ... and on a whole connection. */
    private static final long CONNECTION_RECEIVE_WINDOW = 4L * 1024 * 1024;

    private final ServerTls tls;
    private final int maxStreams;
    private final long idleMillis;
    private final long maxHeaderSize;
    private final ChannelHandler streams;
    private volatile boolean accepting = true;
    private Channel socket;

    Http3Server(Config config, ServerTls tls, RequestRouter router, BadRequestLog badRequests,
                dev.sluice.metrics.GatewayMetrics metrics, AccessLog accessLog,
                dev.sluice.admission.Admission admission, RequestLimits limits) {
        this.tls = tls;
        this.maxStreams = config.http2MaxConcurrentStreams();
        this.maxHeaderSize = limits.maxHeaderSize();
        this.idleMillis = idleMillis(config);
        this.streams = new StreamInitializer(router, config.maxBodySize(), badRequests, metrics, accessLog, admission,
                limits);
    }

    /**
     * Why HTTP/3 is not served under this configuration, or null when it is: {@code --http3 off},
     * no TLS, or a QUIC native library that does not load here ({@code --http3 on} then fails).
     */
    static String notServed(Config config) {
        if (config.http3().equals("off")) {
            return "--http3 off";
        }
        if (!config.tls()) {
            return "it needs TLS (--tls-cert/--tls-key or --tls-self-signed)";
        }
        if (!Quic.isAvailable()) {
            Throwable why = Quic.unavailabilityCause();
            String reason = "the QUIC native library does not load here: "
                    + (why == null ? "unknown reason" : why.getMessage())
                    + " (Sluice ships it for Linux x86-64 and aarch64)";
            if (config.http3().equals("on")) {
                throw new ConfigException("--http3", reason + "; use --http3 off");
            }
            return reason;
        }
        return null;
    }

    /**
     * QUIC's idle timeout is --idle-timeout, but never under three heartbeats: an SSE stream that
     * only gets heartbeats is not idle, and a QUIC connection past its idle timeout is gone.
     */
    private static long idleMillis(Config config) {
        long idle = config.idleTimeout().toMillis();
        long heartbeat = config.heartbeat().toMillis();
        return idle > 0 && heartbeat > 0 ? Math.max(idle, 3 * heartbeat) : idle;
    }

    /** Binds the UDP socket on {@code address} (the TLS listener's, same port number). */
    InetSocketAddress bind(EventLoopGroup workers, HttpServer.IoKind io, InetSocketAddress address)
            throws InterruptedException {
        ChannelHandler codec = Http3.newQuicServerCodecBuilder()
                .sslContext(tls.quicContext())
                .maxIdleTimeout(idleMillis, TimeUnit.MILLISECONDS)
                .initialMaxData(CONNECTION_RECEIVE_WINDOW)
                .initialMaxStreamDataBidirectionalRemote(STREAM_RECEIVE_WINDOW)
                .initialMaxStreamDataBidirectionalLocal(STREAM_RECEIVE_WINDOW)
                .initialMaxStreamsBidirectional(maxStreams)
                .handler(new ConnectionInitializer())
                .build();
        socket = new Bootstrap().group(workers).channel(io.datagramChannel()).handler(codec).bind(address).sync()
                .channel();
        return (InetSocketAddress) socket.localAddress();
    }

    /**
     * New QUIC connections are closed at once from now on; open ones and their streams stay (the
     * socket stays open for them until {@link #close}).
     */
    void stopAccepting() {
        accepting = false;
    }

    void close() {
        accepting = false;
        if (socket != null) {
            socket.close().syncUninterruptibly();
        }
    }

    private final class ConnectionInitializer extends ChannelInitializer<QuicChannel> {
        @Override
        protected void initChannel(QuicChannel ch) {
            if (!accepting) {
                ch.close();
                return;
            }
            Http3Settings settings = Http3Settings.defaultSettings().maxFieldSectionSize(maxHeaderSize);
            // The QPACK dynamic table is off: header blocks then never wait for the encoder stream.
            ch.pipeline().addLast(new Http3ServerConnectionHandler(streams, null, null,
                    new DefaultHttp3SettingsFrame(settings), true))
                    .addLast(ConnectionErrors.INSTANCE);
        }
    }

    /** A QUIC connection's failure is the client's business: one debug line, never a stack trace. */
    @ChannelHandler.Sharable
    private static final class ConnectionErrors extends ChannelInboundHandlerAdapter {
        static final ConnectionErrors INSTANCE = new ConnectionErrors();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/3 connection {} failed: {}", ((QuicChannel) ctx.channel()).remoteSocketAddress(),
                    cause.toString());
            ctx.close();
        }
    }

    /** Each request stream: HTTP objects, response observer, body limit, router. */
    @ChannelHandler.Sharable
    private static final class StreamInitializer extends ChannelInitializer<QuicStreamChannel> {
        private final RequestRouter router;
        private final int maxBodySize;
        private final BadRequestLog badRequests;
        private final dev.sluice.metrics.GatewayMetrics metrics;
        private final AccessLog accessLog;
        private final dev.sluice.admission.Admission admission;
        private final RequestLimits limits;

        StreamInitializer(RequestRouter router, int maxBodySize, BadRequestLog badRequests,
                          dev.sluice.metrics.GatewayMetrics metrics, AccessLog accessLog,
                          dev.sluice.admission.Admission admission, RequestLimits limits) {
            this.router = router;
            this.maxBodySize = maxBodySize;
            this.badRequests = badRequests;
            this.metrics = metrics;
            this.accessLog = accessLog;
            this.admission = admission;
            this.limits = limits;
        }

        @Override
        protected void initChannel(QuicStreamChannel ch) {
            ch.pipeline()
                    .addLast(PipelineInitializer.CODEC, new Http3FrameToHttpObjectCodec(true))
                    .addLast(ResponseObserver.NAME, new ResponseObserver(metrics, accessLog, admission, null))
                    .addLast(PipelineInitializer.AGGREGATOR, new PipelineInitializer.LimitedBody(maxBodySize, badRequests,
                            limits))
                    .addLast(PipelineInitializer.ROUTER, router);
        }
    }
}
