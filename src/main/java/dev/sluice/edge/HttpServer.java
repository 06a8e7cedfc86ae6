package dev.sluice.edge;

import dev.sluice.admission.RequestLimits;
import dev.sluice.admission.RequestTimeouts;
import dev.sluice.auth.TokenVerifier;
import dev.sluice.auth.TrustedIssuers;
import dev.sluice.config.Config;
import dev.sluice.hub.Hub;
import dev.sluice.metrics.GatewayMetrics;
import dev.sluice.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;

/**
 * The listening socket and its event loops: native epoll where available, else io_uring, else NIO
 * (or the kind {@code --io} names). One
 * acceptor thread; {@code --workers} I/O threads that also run dispatch for the subscribers they
 * own. With TLS, also HTTP/3: a UDP socket on the same port number, on one of the workers (see
 * {@link Http3Server}).
 */
public final class HttpServer implements AutoCloseable {

    /**
     * The I/O kind of the event loops (--io): io_uring, native epoll or Java NIO. Not to be
     * confused with the transport, which is where the log of updates lives.
     */
    public enum IoKind { EPOLL, IO_URING, NIO;

        /** The kind to run and why it was taken; the gateway logs both when it starts. */
        public record Choice(IoKind kind, String reason) {
            /** The name {@code --io} gives this kind. */
            public String option() {
                return kind.option();
            }
        }

        /** The value of {@code --io} that names this kind. */
        public String option() {
            return this == IO_URING ? "io_uring" : name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * What {@code --io auto} picks: native epoll where it loads, else io_uring where the kernel
         * allows it, else NIO. Epoll comes first because io_uring's gain in CPU per delivery on the
         * broadcast benchmark was not resolved on the shared machine it was measured on (the
         * kernel's TCP work per send is the same either way), and Netty's io_uring transport
         * allocates a descriptor per socket write where epoll allocates nothing (BENCHMARKS.md,
         * "io_uring and kernel crossings"). The reason says what was found, including why io_uring
         * was not taken.
         */
        public static Choice best() {
            boolean uring = IoUring.isAvailable();
            String uringState = uring ? "io_uring is available too; not taken: no resolved CPU gain, and it allocates per write"
                    : "io_uring is not available: " + cause(IoUring.unavailabilityCause());
            if (Epoll.isAvailable()) {
                return new Choice(EPOLL, "--io auto: native epoll is available (" + uringState + ")");
            }
            String noEpoll = "--io auto: native epoll is not available (" + cause(Epoll.unavailabilityCause()) + ")";
            if (uring) {
                return new Choice(IO_URING, noEpoll + ", io_uring is");
            }
            return new Choice(NIO, noEpoll + ", nor is io_uring (" + cause(IoUring.unavailabilityCause()) + ")");
        }

        private static String cause(Throwable why) {
            if (why == null) {
                return "unknown reason";
            }
            Throwable root = why;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
            return root == why ? message : (why.getMessage() != null ? why.getMessage() + ": " : "") + message;
        }

        /**
         * {@code auto}, {@code epoll}, {@code io_uring} or {@code nio}; a native kind that this
         * machine cannot run is an error naming the cause.
         */
        public static Choice choose(String name) {
            return switch (name) {
                case "epoll" -> {
                    if (!Epoll.isAvailable()) {
                        throw new dev.sluice.config.ConfigException("--io", "native epoll is not available here: "
                                + cause(Epoll.unavailabilityCause()) + "; use --io nio or auto");
                    }
                    yield new Choice(EPOLL, "--io epoll");
                }
                case "io_uring" -> {
                    if (!IoUring.isAvailable()) {
                        throw new dev.sluice.config.ConfigException("--io", "io_uring is not available here: "
                                + cause(IoUring.unavailabilityCause())
                                + " (it needs Linux 5.14 or newer with io_uring allowed); use --io epoll, nio or auto");
                    }
                    yield new Choice(IO_URING, "--io io_uring");
                }
                case "nio" -> new Choice(NIO, "--io nio");
                default -> best();
            };
        }

        IoHandlerFactory handlers() {
            return switch (this) {
                case EPOLL -> EpollIoHandler.newFactory();
                case IO_URING -> IoUringIoHandler.newFactory();
                case NIO -> NioIoHandler.newFactory();
            };
        }

        Class<? extends io.netty.channel.socket.DatagramChannel> datagramChannel() {
            return switch (this) {
                case EPOLL -> io.netty.channel.epoll.EpollDatagramChannel.class;
                case IO_URING -> io.netty.channel.uring.IoUringDatagramChannel.class;
                case NIO -> io.netty.channel.socket.nio.NioDatagramChannel.class;
            };
        }

        Class<? extends ServerChannel> serverChannel() {
            return switch (this) {
                case EPOLL -> EpollServerSocketChannel.class;
                case IO_URING -> IoUringServerSocketChannel.class;
                case NIO -> NioServerSocketChannel.class;
            };
        }
    }

    private final IoKind io;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private Channel serverChannel;
    private Http3Server http3;
    private InetSocketAddress http3Address;
    private String http3Missing;

    private final String ioReason;

    public HttpServer(IoKind io, int workerThreads) {
        this(new IoKind.Choice(io, "--io " + io.option()), workerThreads);
    }

    private HttpServer(IoKind.Choice choice, int workerThreads) {
        this.io = choice.kind();
        this.ioReason = choice.reason();
        IoHandlerFactory factory = io.handlers();
        this.boss = new MultiThreadIoEventLoopGroup(1, factory);
        try {
            this.workers = new MultiThreadIoEventLoopGroup(workerThreads, factory);
        } catch (RuntimeException | Error e) {
            boss.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Event loops of the chosen kind. When {@code --io auto} chose io_uring and its rings cannot be
     * set up after all (the probe passed, but this process may not create a ring per loop, e.g.
     * under a locked-memory limit), it falls back to NIO and the reason says so; a kind asked for
     * by name fails instead.
     */
    public static HttpServer open(IoKind.Choice choice, int workerThreads) {
        try {
            return new HttpServer(choice, workerThreads);
        } catch (RuntimeException | Error e) {
            if (choice.kind() != IoKind.IO_URING || !choice.reason().startsWith("--io auto")) {
                throw e;
            }
            return new HttpServer(new IoKind.Choice(IoKind.NIO, choice.reason() + ", but its rings could not be set up ("
                    + IoKind.cause(e) + "), so NIO"), workerThreads);
        }
    }

    public EventLoopGroup workers() {
        return workers;
    }

    public IoKind io() {
        return io;
    }

    /** Why this I/O kind runs (the option, or what {@code --io auto} found). */
    public String ioReason() {
        return ioReason;
    }

    public InetSocketAddress bind(Config config, Hub hub, Transport transport, GatewayMetrics metrics,
                                  TokenVerifier publishers, TokenVerifier subscribers, TrustedIssuers issuers,
                                  dev.sluice.subscriptions.SubscriptionRegistry subscriptions, ServerTls tls)
            throws InterruptedException {
        return bind(config, hub, transport, metrics, publishers, subscribers, issuers, subscriptions, tls, Extras.NONE);
    }

    /**
     * Binds the listener; {@code extras} are served beside the hub. Tokens are verified with the
     * publisher or subscriber keys, or, for a Mercure 1.0 access token, with its issuer's keys.
     */
    public InetSocketAddress bind(Config config, Hub hub, Transport transport, GatewayMetrics metrics,
                                  TokenVerifier publishers, TokenVerifier subscribers, TrustedIssuers issuers,
                                  dev.sluice.subscriptions.SubscriptionRegistry subscriptions, ServerTls tls, Extras extras)
            throws InterruptedException {
        Access access = new Access(publishers, subscribers, issuers, config);
        Cors cors = new Cors(config.corsOrigins());
        var admission = new dev.sluice.admission.Admission(config, metrics);
        var limits = new RequestLimits(config, metrics);
        var timeouts = new RequestTimeouts(config.headerTimeout(), config.idleTimeout(), limits, metrics.idleClosed);
        AccessLog accessLog = new AccessLog(config.accessLog());
        AltSvc altSvc = new AltSvc();
        var subscribe = new SubscribeEndpoint(hub, transport, access, cors, config, metrics, admission, accessLog,
                subscriptions, limits, altSvc);
        var subscriptionsApi = subscriptions == null ? null : new SubscriptionsEndpoint(subscriptions, hub, access, cors);
        BadRequestLog badRequests = new BadRequestLog();
        var publish = new PublishEndpoint(transport, access, cors, hub.selectors(), metrics,
                config.maxTopicLength(), config.allowNonAsciiIds(), badRequests, subscriptions != null, limits);
        var router = new RequestRouter(subscribe, publish, transport, metrics, cors,
                config.maxTopicsPerSubscription() + 16, badRequests, limits, admission, config.metricsOnMain(),
                hub::draining, subscriptionsApi, extras);
        Class<? extends ServerChannel> channelClass = io.serverChannel();
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                // Writability pauses replays early; the byte budget is enforced separately.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, Http2Streams.waterMark(config.subscriberBudget()))
                .childOption(ChannelOption.SO_SNDBUF, config.socketSendBuffer() > 0 ? config.socketSendBuffer() : null)
                .childHandler(new PipelineInitializer(router, config.maxBodySize(), badRequests, metrics, accessLog,
                        admission, tls, config.http2MaxConcurrentStreams(), limits, timeouts, altSvc));
        http3Missing = Http3Server.notServed(config);
        serverChannel = b.bind(config.listen()).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        if (http3Missing == null) {
            Http3Server h3 = new Http3Server(config, tls, router, badRequests, metrics, accessLog, admission, limits);
            try {
                http3Address = h3.bind(workers, io, bound);
                http3 = h3;
                altSvc.advertise(http3Address.getPort());
            } catch (InterruptedException e) {
                serverChannel.close().syncUninterruptibly();
                throw e;
            } catch (Exception e) {
                // The UDP port may be taken while the TCP port is free: asked for, that stops
                // start-up; by default the gateway serves TCP alone and says why.
                if (config.http3().equals("on")) {
                    serverChannel.close().syncUninterruptibly();
                    throw new dev.sluice.config.ConfigException("--http3", "cannot listen on UDP " + bound + ": " + e
                            + " (is another process using that UDP port?)");
                }
                http3Missing = "cannot listen on UDP " + bound + ": " + e;
                org.slf4j.LoggerFactory.getLogger(HttpServer.class).warn("HTTP/3 not served: {}", http3Missing);
            }
        }
        return bound;
    }

    /** The UDP address HTTP/3 is served on, or null when it is not (see {@link #http3Missing}). */
    public InetSocketAddress http3Address() {
        return http3Address;
    }

    /** Why HTTP/3 is not served, or null when it is. */
    public String http3Missing() {
        return http3Missing;
    }

    /** Stops accepting new connections; open ones stay. */
    public void stopAccepting() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        if (http3 != null) {
            http3.stopAccepting();
        }
    }

    @Override
    public void close() {
        stopAccepting();
        if (http3 != null) {
            http3.close();
        }
        var a = boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        var b = workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        a.syncUninterruptibly();
        b.syncUninterruptibly();
    }
}
