package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.support.IoKind;
import dev.sluice.support.OnEveryIoKind;
import dev.sluice.support.TestHub;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Several SSE streams on one HTTP/2 connection, seen frame by frame by an HTTP/2 client (Netty's,
 * speaking prior knowledge over a real socket) that controls its own flow-control windows: a
 * stream whose reader stops is budgeted and reset alone while the others go on, a stream the hub
 * ends cleanly ends with END_STREAM after its retry hint, and neither closes the connection.
 */
@OnEveryIoKind
class Http2StreamsTest {

    @Parameter
    IoKind io;

    @Test
    void aStalledStreamIsCutAloneAndNeverHoldsUpTheOthersOnItsConnection() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> b.anonymous(true).subscriberBudget(64 * 1024)
                .slowClientGrace(Duration.ofMillis(300)).http2MaxConcurrentStreams(250));
             H2Client client = H2Client.connect(hub.gateway.port())) {
            assertThat(client.serverSettings.get(10, TimeUnit.SECONDS).maxConcurrentStreams()).isEqualTo(250L);
            Stream stalled = client.open("/.well-known/mercure?topic=flow", false);
            Stream fast = client.open("/.well-known/mercure?topic=flow", true);
            Stream other = client.open("/.well-known/mercure?topic=other", true);
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 3);

            // 800 KB for the topic: far past the stalled stream's 256 KiB window plus its 64 KiB budget.
            String payload = "x".repeat(4000);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                ids.add(hub.publishOk("topic", "flow", "data", payload + i));
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fast.text().contains("id: " + ids.get(ids.size() - 1) + "\n"));
            for (String id : ids) {
                assertThat(fast.text()).contains("id: " + id + "\n");
            }
            // The stalled stream was cut loose; the hint could not pass its closed window, so after
            // the grace the stream (only it) was reset.
            Http2ResetFrame reset = stalled.reset.get(20, TimeUnit.SECONDS);
            assertThat(reset.errorCode()).isEqualTo(Http2Error.CANCEL.code());
            // Counted when the hub's close of the stream completes, which may come just after the reset.
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> hub.gateway.hub().stats().slowDisconnects() == 1);
            assertThat(client.connection.isActive()).isTrue();
            assertThat(fast.ended.isDone()).isFalse();

            // The connection still carries the other streams, in both directions.
            String later = hub.publishOk("topic", "other", "data", "still here");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> other.text().contains("id: " + later + "\n"));
            Stream fresh = client.open("/.well-known/mercure?topic=other", true);
            Awaitility.await().until(() -> fresh.text().contains("retry: 2000\n"));
            assertThat(fresh.status).isEqualTo("200");
        }
    }

    @Test
    void aStreamTheHubEndsEndsWithEndStreamAfterItsRetryHint() throws Exception {
        try (TestHub hub = TestHub.start(io, b -> {
            b.anonymous(true);
            b.jwtClockSkew = Duration.ZERO;
        }); H2Client client = H2Client.connect(hub.gateway.port())) {
            String expiring = TokenIssuer.hmac(JwtAlgorithm.HS256, TestHub.SECRET.getBytes(StandardCharsets.UTF_8),
                    List.of(), List.of("*"), Duration.ofSeconds(2));
            Stream ending = client.open("/.well-known/mercure?topic=t&authorization=" + expiring, true);
            Stream staying = client.open("/.well-known/mercure?topic=t", true);
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 2);

            assertThat(ending.ended.get(20, TimeUnit.SECONDS)).isTrue();
            assertThat(ending.text()).endsWith("\n\n: token expired, reconnect with a new token\nretry: 500\n\n");
            assertThat(ending.reset.isDone()).isFalse();

            String id = hub.publishOk("topic", "t", "data", "after");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> staying.text().contains("id: " + id + "\n"));
            assertThat(client.connection.isActive()).isTrue();
            Awaitility.await().until(() -> hub.gateway.hub().subscribers() == 1);
        }
    }

    /** One stream as the client sees it: status, the body bytes as text, and how it ended. */
    static final class Stream extends ChannelInboundHandlerAdapter {
        private final StringBuffer body = new StringBuffer();
        volatile String status;
        final CompletableFuture<Boolean> ended = new CompletableFuture<>();
        final CompletableFuture<Http2ResetFrame> reset = new CompletableFuture<>();

        String text() {
            return body.toString();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame h) {
                    status = String.valueOf(h.headers().status());
                    if (h.isEndStream()) {
                        ended.complete(true);
                    }
                } else if (msg instanceof Http2DataFrame d) {
                    ByteBuf content = d.content();
                    body.append(content.toString(StandardCharsets.UTF_8));
                    if (d.isEndStream()) {
                        ended.complete(true);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        volatile boolean inactive;

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inactive = true;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame r) {
                reset.complete(r);
            }
            ReferenceCountUtil.release(evt);
        }
    }

    /**
     * An HTTP/2 client connection (prior knowledge) whose streams either read everything (their
     * window is replenished as they read) or read nothing at all (their window closes after 256 KiB).
     * The connection-level window is opened wide, so a stalled stream cannot use it up.
     */
    static final class H2Client implements AutoCloseable {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final CompletableFuture<Http2Settings> serverSettings = new CompletableFuture<>();
        Channel connection;
        private int port;

        static H2Client connect(int port) throws InterruptedException {
            H2Client c = new H2Client();
            c.port = port;
            c.connection = new Bootstrap().group(c.group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // Stream windows of 256 KiB (browsers use MiBs), for every stream.
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                                            .initialSettings(Http2Settings.defaultSettings().initialWindowSize(256 * 1024))
                                            .build(),
                                    new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                                    new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                            if (msg instanceof Http2SettingsFrame s) {
                                                c.serverSettings.complete(s.settings());
                                            }
                                            ReferenceCountUtil.release(msg);
                                        }
                                    });
                        }
                    })
                    .connect("127.0.0.1", port).sync().channel();
            c.connection.writeAndFlush(new DefaultHttp2WindowUpdateFrame(1 << 30)).sync();
            return c;
        }

        Stream open(String path, boolean reads) throws InterruptedException {
            Stream stream = new Stream();
            Http2StreamChannel ch = new Http2StreamChannelBootstrap(connection).handler(stream).open().sync().getNow();
            ch.config().setAutoRead(reads);
            ch.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET").scheme("http")
                    .authority("127.0.0.1:" + port).path(path).set("accept", "text/event-stream"), true)).sync();
            return stream;
        }

        @Override
        public void close() {
            if (connection != null) {
                connection.close().syncUninterruptibly();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
