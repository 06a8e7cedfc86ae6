package dev.sluice.admission;

import dev.sluice.config.Cidr;
import java.net.InetAddress;
import java.util.List;

/**
 * The address a request comes from. That is the peer of the connection, unless the peer is one
 * of {@code --trusted-proxies}: then the hops its headers report are walked from the nearest one
 * back, past every trusted proxy, and the first untrusted hop is the client. {@code Forwarded}
 * (RFC 7239) is read when present, else {@code X-Forwarded-For}. A hop that is not an address
 * ends the walk at the trusted proxy that reported it. Headers from an untrusted peer are never
 * read, so a client cannot choose its own address.
 */
final class ClientAddress {

    private final List<Cidr> trusted;

    ClientAddress(List<Cidr> trusted) {
        this.trusted = trusted;
    }

    boolean trusts(InetAddress address) {
        return Cidr.anyContains(trusted, address);
    }

    /** Whether {@link #resolve} would read the forwarding headers of a request from this peer. */
    boolean readsHeadersOf(InetAddress socketPeer) {
        return !trusted.isEmpty() && trusts(unmapped(socketPeer));
    }

    /**
     * @param forwarded all {@code Forwarded} header lines (maybe none)
     * @param xForwardedFor all {@code X-Forwarded-For} header lines (maybe none)
     */
    InetAddress resolve(InetAddress socketPeer, List<String> forwarded, List<String> xForwardedFor) {
        InetAddress peer = unmapped(socketPeer);
        if (trusted.isEmpty() || !trusts(peer)) {
            return peer;
        }
        List<InetAddress> hops = !forwarded.isEmpty() ? ForwardedHeaders.forwarded(forwarded)
                : ForwardedHeaders.xForwardedFor(xForwardedFor);
        InetAddress client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = hops.get(i);
            if (hop == null) {
                return client; // the proxy that reported an unknown hop
            }
            client = hop;
            if (!trusts(hop)) {
                return hop;
            }
        }
        return client; // every hop is a trusted proxy: the farthest one reported
    }

    /**
     * An IPv4-mapped IPv6 address ({@code ::ffff:192.0.2.1}, as a dual-stack socket may report an
     * IPv4 peer) as the IPv4 address it is, so IPv4 networks match it; any other address as is.
     */
    static InetAddress unmapped(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != 16) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return address;
            }
        }
        if (a[10] != (byte) 0xFF || a[11] != (byte) 0xFF) {
            return address;
        }
        try {
            return InetAddress.getByAddress(new byte[] {a[12], a[13], a[14], a[15]});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }
}
