package dev.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The parsing of Forwarded and X-Forwarded-For, and the walk back to the client. */
class ForwardedHeadersTest {

    /** Hops as text: addresses, '?' for an unknown hop; header lines separated by '|'. */
    @ParameterizedTest(name = "Forwarded: {0}")
    @CsvSource(delimiter = '~', value = {
            "for=192.0.2.60                                          ~ 192.0.2.60",
            "for=192.0.2.60;proto=http;by=203.0.113.43               ~ 192.0.2.60",
            "For=\"192.0.2.60:8080\"                                 ~ 192.0.2.60",
            "for=\"[2001:db8:cafe::17]:4711\"                        ~ 2001:db8:cafe:0:0:0:0:17",
            "for=\"[2001:db8:cafe::17]\"                             ~ 2001:db8:cafe:0:0:0:0:17",
            "for=192.0.2.43, for=198.51.100.17                       ~ 192.0.2.43 198.51.100.17",
            "for=192.0.2.43|for=198.51.100.17;proto=https            ~ 192.0.2.43 198.51.100.17",
            "for=unknown, for=198.51.100.17                          ~ ? 198.51.100.17",
            "for=_hidden, for=198.51.100.17                          ~ ? 198.51.100.17",
            "proto=https, for=198.51.100.17                          ~ ? 198.51.100.17",
            "for=\"a,b\";by=x, for=10.0.0.1                          ~ ? 10.0.0.1",
            "for=example.com                                         ~ ?",
            "for=\"[2001:db8::1\"                                    ~ ?",
            "for=\"[10.0.0.1]\"                                      ~ ?",
            "for=10.0.0.1:http                                       ~ ?",
            " for = 10.0.0.1 ; proto=http ,                          ~ 10.0.0.1",
    })
    void forwarded(String lines, String expected) {
        assertThat(text(ForwardedHeaders.forwarded(List.of(lines.split("\\|"))))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "X-Forwarded-For: {0}")
    @CsvSource(delimiter = '~', value = {
            "203.0.113.9                              ~ 203.0.113.9",
            "203.0.113.9, 10.0.0.2                    ~ 203.0.113.9 10.0.0.2",
            "203.0.113.9,10.0.0.2|10.0.0.3            ~ 203.0.113.9 10.0.0.2 10.0.0.3",
            "2001:db8::1, 10.0.0.2                    ~ 2001:db8:0:0:0:0:0:1 10.0.0.2",
            "[2001:db8::1]:443                        ~ 2001:db8:0:0:0:0:0:1",
            "203.0.113.9:5555                         ~ 203.0.113.9",
            "unknown, 10.0.0.2                        ~ ? 10.0.0.2",
            "evil.example.com                         ~ ?",
            "' , 10.0.0.2,'                           ~ 10.0.0.2",
    })
    void xForwardedFor(String lines, String expected) {
        assertThat(text(ForwardedHeaders.xForwardedFor(List.of(lines.split("\\|"))))).isEqualTo(expected);
    }

    /** Trusted proxies: 10.0.0.0/8 and 2001:db8:ffff::/48. */
    @ParameterizedTest(name = "peer {0}, Forwarded [{1}], X-Forwarded-For [{2}]: client {3}")
    @CsvSource(delimiter = '~', value = {
            // An untrusted peer: its headers are ignored, whatever they say.
            "203.0.113.5 ~ for=10.0.0.7             ~ 192.0.2.1              ~ 203.0.113.5",
            "203.0.113.5 ~                          ~ 10.0.0.9               ~ 203.0.113.5",
            // A trusted peer: the rightmost untrusted hop.
            "10.0.0.1    ~                          ~ 192.0.2.1              ~ 192.0.2.1",
            "10.0.0.1    ~                          ~ 6.6.6.6, 192.0.2.1     ~ 192.0.2.1",
            "10.0.0.1    ~                          ~ 6.6.6.6, 192.0.2.1, 10.0.0.2 ~ 192.0.2.1",
            "10.0.0.1    ~ for=192.0.2.7            ~ 192.0.2.1              ~ 192.0.2.7",
            "10.0.0.1    ~ for=6.6.6.6, for=192.0.2.7;by=10.0.0.2, for=10.0.0.3 ~ ~ 192.0.2.7",
            "2001:db8:ffff::1 ~ for=\"[2001:db8::9]:1234\" ~               ~ 2001:db8:0:0:0:0:0:9",
            // Only trusted hops: the farthest one.
            "10.0.0.1    ~                          ~ 10.0.0.5, 10.0.0.6     ~ 10.0.0.5",
            // No header at all: the proxy itself.
            "10.0.0.1    ~                          ~                        ~ 10.0.0.1",
            // An unknown hop ends the walk at the trusted proxy that reported it.
            "10.0.0.1    ~                          ~ 192.0.2.1, unknown     ~ 10.0.0.1",
            "10.0.0.1    ~                          ~ 192.0.2.1, garbage, 10.0.0.4 ~ 10.0.0.4",
            "10.0.0.1    ~ for=_obf                 ~ 192.0.2.1              ~ 10.0.0.1",
    })
    void clientAddress(String peer, String forwarded, String xff, String expected) throws Exception {
        ClientAddress clients = new ClientAddress(Cidr.parseAll(List.of("10.0.0.0/8", "2001:db8:ffff::/48")));
        InetAddress client = clients.resolve(InetAddress.getByName(peer),
                forwarded == null ? List.of() : List.of(forwarded), xff == null ? List.of() : List.of(xff));
        assertThat(client.getHostAddress()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "no trusted proxies: peer {0} with X-Forwarded-For {1}")
    @CsvSource({"127.0.0.1, 192.0.2.1", "10.0.0.1, 192.0.2.1"})
    void withoutTrustedProxiesThePeerIsTheClient(String peer, String xff) throws Exception {
        ClientAddress clients = new ClientAddress(List.of());
        assertThat(clients.resolve(InetAddress.getByName(peer), List.of("for=" + xff), List.of(xff)).getHostAddress())
                .isEqualTo(peer);
    }

    @org.junit.jupiter.api.Test
    void anIpv4MappedPeerIsReadAsIpv4() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        mapped[12] = 10;
        mapped[15] = 1;
        java.net.Inet6Address peer = java.net.Inet6Address.getByAddress(null, mapped, -1);
        ClientAddress clients = new ClientAddress(Cidr.parseAll(List.of("10.0.0.0/8")));
        assertThat(clients.resolve(peer, List.of(), List.of("192.0.2.1")).getHostAddress()).isEqualTo("192.0.2.1");
        assertThat(ClientAddress.unmapped(peer).getHostAddress()).isEqualTo("10.0.0.1");
        InetAddress plain = InetAddress.getByName("2001:db8::ffff:a00:1");
        assertThat(ClientAddress.unmapped(plain)).isSameAs(plain);
    }

    private static String text(List<InetAddress> hops) {
        List<String> out = new ArrayList<>();
        for (InetAddress a : hops) {
            out.add(a == null ? "?" : a.getHostAddress());
        }
        return String.join(" ", out);
    }
}
