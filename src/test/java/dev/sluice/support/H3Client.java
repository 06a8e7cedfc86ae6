package dev.sluice.support;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ClientConnectionHandler;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.http3.Http3RequestStreamInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicException;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/3 client for tests, built on Netty's QUIC and HTTP/3 client codecs over a real UDP
 * socket. It trusts one certificate (the gateway's) and nothing else, and sets its own receive
 * windows, so a test can stall a stream by not reading it.
 */
public final class H3Client implements AutoCloseable {

    private final EventLoopGroup group;
    private final Channel udp;
    public final QuicChannel connection;
    private final String authority;

    private H3Client(EventLoopGroup group, Channel udp, QuicChannel connection, String authority) {
        this.group = group;
        this.udp = udp;
        this.connection = connection;
        this.authority = authority;
    }

    /** Connects to {@code 127.0.0.1:port} over QUIC, with a 1 MiB receive window per stream. */
    public static H3Client connect(int port, X509Certificate... trusted) throws Exception {
        return connect(port, 1024 * 1024, trusted);
    }

    /**
     * Connects with {@code streamWindow} bytes of flow-control credit per stream (what the server
     * may send on a stream before this client reads it).
     */
    public static H3Client connect(int port, long streamWindow, X509Certificate... trusted) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            QuicSslContext ssl = QuicSslContextBuilder.forClient()
                    .trustManager(trusted)
                    .applicationProtocols(Http3.supportedApplicationProtocols())
                    .build();
            var codec = Http3.newQuicClientCodecBuilder()
                    // The engine knows the host it connects to, so the certificate is checked for it
                    // (the gateway's names 127.0.0.1).
                    .sslEngineProvider(q -> ssl.newEngine(q.alloc(), "127.0.0.1", port))
                    .maxIdleTimeout(60, TimeUnit.SECONDS)
                    .initialMaxData(64L * 1024 * 1024)
                    .initialMaxStreamDataBidirectionalLocal(streamWindow)
                    .build();
            Channel udp = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                    .bind(0).sync().channel();
            QuicChannel quic = QuicChannel.newBootstrap(udp)
                    .handler(new Http3ClientConnectionHandler())
                    .remoteAddress(new InetSocketAddress("127.0.0.1", port))
                    .connect().get(10, TimeUnit.SECONDS);
            return new H3Client(group, udp, quic, "127.0.0.1:" + port);
        } catch (Exception | Error e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** A GET whose response is read as it comes. */
    public Stream get(String pathAndQuery, String... headers) throws Exception {
        return request("GET", pathAndQuery, null, true, headers);
    }

    /** A GET whose response this client does not read (its stream window fills and stays full). */
    public Stream getWithoutReading(String pathAndQuery, String... headers) throws Exception {
        return request("GET", pathAndQuery, null, false, headers);
    }

    /** A GET whose body is counted (see {@link Stream#bytes}) but not kept, for long runs. */
    public Stream getCounting(String pathAndQuery) throws Exception {
        Stream stream = new Stream(false);
        open(stream, "GET", pathAndQuery, null, true);
        return stream;
    }

    /** A POST with a form body. */
    public Stream postForm(String pathAndQuery, String form, String... headers) throws Exception {
        return request("POST", pathAndQuery, form, true, headers);
    }

    /**
     * Sends one request on a new stream: the headers (name, value pairs), the body if any, then the
     * end of the request (FIN).
     */
    public Stream request(String method, String pathAndQuery, String body, boolean read, String... headers)
            throws Exception {
        Stream stream = new Stream(true);
        open(stream, method, pathAndQuery, body, read, headers);
        return stream;
    }

    private void open(Stream stream, String method, String pathAndQuery, String body, boolean read, String... headers)
            throws Exception {
        QuicStreamChannel ch = Http3.newRequestStream(connection, stream).get(10, TimeUnit.SECONDS);
        ch.config().setAutoRead(read);
        stream.channel = ch;
        DefaultHttp3HeadersFrame head = new DefaultHttp3HeadersFrame();
        head.headers().method(method).path(pathAndQuery).authority(authority).scheme("https");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            head.headers().add(headers[i].toLowerCase(java.util.Locale.ROOT), headers[i + 1]);
        }
        if (body != null) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            head.headers().set("content-type", "application/x-www-form-urlencoded");
            head.headers().setInt("content-length", bytes.length);
            ch.write(head);
            ch.writeAndFlush(new DefaultHttp3DataFrame(Unpooled.wrappedBuffer(bytes)))
                    .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT).sync();
        } else {
            ch.writeAndFlush(head).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT).sync();
        }
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * One request stream as the client sees it: the response status and fields, the body as text,
     * whether it ended with a FIN, and the error code of a reset.
     */
    public static final class Stream extends Http3RequestStreamInboundHandler {
        private final StringBuffer body = new StringBuffer();
        public final Map<String, String> headers = new ConcurrentHashMap<>();
        public final CompletableFuture<String> status = new CompletableFuture<>();
        /** Completes when the server's FIN arrives. */
        public final CompletableFuture<Boolean> ended = new CompletableFuture<>();
        /** Completes with the application error code when the server resets the stream. */
        public final CompletableFuture<Long> reset = new CompletableFuture<>();
        public volatile QuicStreamChannel channel;
        /** Body bytes received so far. */
        public final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
        private final boolean keepText;

        Stream(boolean keepText) {
            this.keepText = keepText;
        }

        public String text() {
            return body.toString();
        }

        /** Starts reading a stream opened without reading. */
        public void startReading() {
            channel.eventLoop().execute(() -> {
                channel.config().setAutoRead(true);
                channel.read();
            });
        }

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
            try {
                if (!status.isDone() && frame.headers().status() != null) {
                    frame.headers().forEach(e -> headers.put(e.getKey().toString(), e.getValue().toString()));
                    status.complete(frame.headers().status().toString());
                }
            } finally {
                ReferenceCountUtil.release(frame);
            }
        }

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
            try {
                bytes.addAndGet(frame.content().readableBytes());
                if (keepText) {
                    body.append(frame.content().toString(StandardCharsets.UTF_8));
                }
            } finally {
                ReferenceCountUtil.release(frame);
            }
        }

        @Override
        protected void channelInputClosed(ChannelHandlerContext ctx) {
            ended.complete(true);
        }

        @Override
        protected void handleQuicException(ChannelHandlerContext ctx, QuicException exception) {
            if (exception instanceof QuicStreamResetException r) {
                reset.complete(r.applicationProtocolCode());
            }
            ctx.close();
        }
    }
}
