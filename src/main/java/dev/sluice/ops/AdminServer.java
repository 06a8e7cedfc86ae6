package dev.sluice.ops;

import dev.sluice.metrics.GatewayMetrics;
import dev.sluice.metrics.HttpRoute;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener ({@code --admin-listen}): {@code /metrics}, {@code /healthz}, {@code /readyz}
 * and, with {@code --diagnostics}, {@code /debug/threads} and {@code /debug/jfr?seconds=N}, on a
 * socket of its own, meant for a private interface. It has its own single I/O thread, so it
 * answers while the gateway's event loops are busy (or stalled: the moment a thread dump is
 * wanted), and the public port never serves diagnostics. Requests carry no body; it takes GET
 * only.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final GatewayMetrics metrics;
    private final BooleanSupplier ready;
    private final Supplier<String> transport;
    private final Diagnostics diagnostics;
    private Channel channel;

    /**
     * @param ready       whether the gateway takes publishes (what /readyz answers)
     * @param transport   the transport's description, for /readyz's text
     * @param diagnostics the diagnostics to serve, or null when they are off
     */
    public AdminServer(GatewayMetrics metrics, BooleanSupplier ready, Supplier<String> transport,
                       Diagnostics diagnostics) {
        this.metrics = metrics;
        this.ready = ready;
        this.transport = transport;
        this.diagnostics = diagnostics;
    }

    public InetSocketAddress bind(InetSocketAddress address) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(loop)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(4096))
                                .addLast(new Router());
                    }
                });
        channel = b.bind(address).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    /** What this listener serves, for the start-up line. */
    public String describe() {
        return "/metrics, /healthz, /readyz" + (diagnostics != null ? ", /debug/threads, /debug/jfr" : "");
    }

    @ChannelHandler.Sharable
    private final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.decoderResult().isFailure()) {
                send(ctx, req, HttpRoute.OTHER, text(HttpResponseStatus.BAD_REQUEST, "Malformed HTTP request.\n"));
                return;
            }
            QueryStringDecoder query;
            try {
                query = new QueryStringDecoder(req.uri());
                query.parameters();
            } catch (IllegalArgumentException e) {
                send(ctx, req, HttpRoute.OTHER, text(HttpResponseStatus.BAD_REQUEST, "Malformed URL: " + e.getMessage()
                        + "\n"));
                return;
            }
            String path = query.path();
            HttpRoute route = switch (path) {
                case "/metrics" -> HttpRoute.METRICS;
                case "/healthz" -> HttpRoute.HEALTHZ;
                case "/readyz" -> HttpRoute.READYZ;
                case "/debug/threads", "/debug/jfr" -> diagnostics != null ? HttpRoute.DIAGNOSTICS : HttpRoute.OTHER;
                default -> HttpRoute.OTHER;
            };
            if (route != HttpRoute.OTHER && !req.method().equals(HttpMethod.GET)) {
                FullHttpResponse res = text(HttpResponseStatus.METHOD_NOT_ALLOWED,
                        "Method " + req.method() + " is not allowed here; use GET.\n");
                res.headers().set(HttpHeaderNames.ALLOW, "GET");
                send(ctx, req, route, res);
                return;
            }
            switch (path) {
                case "/metrics" -> {
                    FullHttpResponse res = text(HttpResponseStatus.OK, metrics.scrape());
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    send(ctx, req, route, res);
                }
                case "/healthz" -> send(ctx, req, route, text(HttpResponseStatus.OK, "ok\n"));
                case "/readyz" -> {
                    boolean ok = ready.getAsBoolean();
                    send(ctx, req, route, text(ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            ok ? "ready (" + transport.get() + ")\n"
                                    : "not ready: transport " + transport.get() + " cannot take publishes\n"));
                }
                case "/debug/threads" -> {
                    if (diagnostics == null) {
                        notFound(ctx, req, path);
                    } else {
                        threads(ctx, req);
                    }
                }
                case "/debug/jfr" -> {
                    if (diagnostics == null) {
                        notFound(ctx, req, path);
                    } else {
                        flightRecording(ctx, req, query);
                    }
                }
                default -> notFound(ctx, req, path);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof IOException)) {
                log.warn("admin connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            }
            ctx.close();
        }
    }

    private void notFound(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
        String shown = path.length() > 80 ? path.substring(0, 77) + "..." : path;
        send(ctx, req, HttpRoute.OTHER, text(HttpResponseStatus.NOT_FOUND, "Nothing at " + shown + ". Here: "
                + describe() + (diagnostics == null ? " (diagnostics need --diagnostics)" : "") + ".\n"));
    }

    private void threads(ChannelHandlerContext ctx, FullHttpRequest req) {
        req.retain();
        diagnostics.threadDump().whenComplete((dump, failure) -> {
            try {
                send(ctx, req, HttpRoute.DIAGNOSTICS, failure == null ? text(HttpResponseStatus.OK, dump)
                        : text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "The thread dump failed: " + failure + "\n"));
            } finally {
                req.release();
            }
        });
    }

    private void flightRecording(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query) {
        List<String> values = query.parameters().get("seconds");
        long max = diagnostics.maxRecording().toSeconds();
        long seconds;
        try {
            if (values == null || values.isEmpty()) {
                throw new NumberFormatException();
            }
            seconds = Long.parseLong(values.get(0));
        } catch (NumberFormatException e) {
            send(ctx, req, HttpRoute.DIAGNOSTICS, text(HttpResponseStatus.BAD_REQUEST,
                    "Say how long to record: /debug/jfr?seconds=N, N from 1 to " + max + " (--max-recording).\n"));
            return;
        }
        if (seconds < 1 || seconds > max) {
            send(ctx, req, HttpRoute.DIAGNOSTICS, text(HttpResponseStatus.BAD_REQUEST,
                    "seconds=" + seconds + " is out of range: a recording lasts from 1 to " + max
                            + " seconds (--max-recording).\n"));
            return;
        }
        java.util.concurrent.CompletableFuture<Path> file;
        try {
            file = diagnostics.record(Duration.ofSeconds(seconds));
        } catch (Diagnostics.RecordingBusy e) {
            FullHttpResponse res = text(HttpResponseStatus.CONFLICT, "Not started: " + e.getMessage() + ".\n");
            send(ctx, req, HttpRoute.DIAGNOSTICS, res);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        String name = "sluice-" + LocalDateTime.now(ZoneOffset.UTC).format(FILE_TIME) + ".jfr";
        file.whenComplete((path, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                metrics.response(HttpRoute.DIAGNOSTICS, 500);
                ctx.writeAndFlush(close(text(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                        "The flight recording failed: " + cause + "\n"))).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            sendFile(ctx, path, name, keepAlive);
        });
    }

    /** Streams the recording from disk (never whole into memory), then deletes it. */
    private void sendFile(ChannelHandlerContext ctx, Path path, String name, boolean keepAlive) {
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            delete(path);
            ctx.close();
            return;
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
                .set(HttpHeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"" + name + "\"")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(head, size);
        if (!keepAlive) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        metrics.response(HttpRoute.DIAGNOSTICS, 200);
        ctx.write(head);
        ctx.write(new DefaultFileRegion(path.toFile(), 0, size));
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
            delete(path);
            if (!keepAlive || !f.isSuccess()) {
                ctx.close();
            }
        });
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not delete the flight recording {}: {}", path, e.toString());
        }
    }

    private static FullHttpResponse close(FullHttpResponse res) {
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return res;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return res;
    }

    /** Sends a complete response (any thread), counting it; keeps the connection when the request allows. */
    private void send(ChannelHandlerContext ctx, FullHttpRequest req, HttpRoute route, FullHttpResponse res) {
        metrics.response(route, res.status().code());
        if (HttpUtil.isKeepAlive(req) && res.status().code() < 500) {
            ctx.writeAndFlush(res, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(close(res)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
