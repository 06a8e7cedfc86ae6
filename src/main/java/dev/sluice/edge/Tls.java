package dev.sluice.edge;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;

/**
 * Whether a request arrived over TLS (its channel, or the connection an HTTP/2 stream belongs to);
 * QUIC, and so HTTP/3, always is.
 */
final class Tls {

    private Tls() {
    }

    static boolean on(ChannelHandlerContext ctx) {
        for (Channel c = ctx.channel(); c != null; c = c.parent()) {
            if (c.pipeline().get(SslHandler.class) != null || c instanceof io.netty.handler.codec.quic.QuicChannel) {
                return true;
            }
        }
        return false;
    }
}
