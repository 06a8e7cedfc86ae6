package dev.sluice.admission;

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

    /**
     * @param forwarded all {@code Forwarded} header lines (maybe none)
     * @param xForwardedFor all {@code X-Forwarded-For} header lines (maybe none)
     */
    InetAddress resolve(InetAddress peer, List<String> forwarded, List<String> xForwardedFor) {
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
}
