package dev.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Cidr;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
            "10.0.0.0/8,        10.0.0.0,        true",
            "10.0.0.0/8,        10.255.255.255,  true",
            "10.0.0.0/8,        11.0.0.0,        false",
            "10.0.0.0/8,        9.255.255.255,   false",
            "10.1.2.3/8,        10.200.0.1,      true",    // host bits are ignored
            "192.168.1.0/24,    192.168.1.77,    true",
            "192.168.1.0/24,    192.168.2.77,    false",
            "172.16.0.0/12,     172.31.255.255,  true",    // prefix inside a byte
            "172.16.0.0/12,     172.32.0.0,      false",
            "172.16.0.0/12,     172.15.255.255,  false",
            "127.0.0.2,         127.0.0.2,       true",    // one address, no prefix
            "127.0.0.2,         127.0.0.3,       false",
            "127.0.0.2/32,      127.0.0.2,       true",
            "0.0.0.0/0,         203.0.113.9,     true",
            "0.0.0.0/0,         ::1,             false",   // IPv4 networks hold IPv4 addresses only
            "::/0,              2001:db8::1,     true",
            "::/0,              10.0.0.1,        false",
            "2001:db8::/32,     2001:db8:ffff::1, true",
            "2001:db8::/32,     2001:db9::1,     false",
            "2001:db8::/33,     2001:db8:7fff::1, true",
            "2001:db8::/33,     2001:db8:8000::1, false",
            "::1,               ::1,             true",
            "::1/128,           ::2,             false",
            "fe80::/10,         febf::1,         true",
            "fe80::/10,         fec0::1,         false",
            "::ffff:10.0.0.0/8, 10.9.9.9,        true",    // IPv4-mapped is read as IPv4
    })
    void contains(String network, String address, boolean expected) throws Exception {
        assertThat(Cidr.parse(network).contains(InetAddress.getByName(address))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "''{0}'' is refused: {1}")
    @CsvSource(delimiter = '|', value = {
            "''                | empty",
            "example.com       | not an IPv4 or IPv6 network",
            "localhost/8       | not an IPv4 or IPv6 network",
            "10.0.0/8          | not an IPv4 or IPv6 network",
            "10.0.0.256/8      | not an IPv4 or IPv6 network",
            "10.0.0.0/33       | prefix",
            "10.0.0.0/-1       | prefix",
            "10.0.0.0/         | prefix",
            "10.0.0.0/8/8      | prefix",
            "2001:db8::/129    | prefix",
            "2001:db8::g/32    | not an IPv4 or IPv6 network",
            "2001:::1          | not an address",
    })
    void invalidNetworksSayWhy(String spec, String why) {
        assertThatThrownBy(() -> Cidr.parse(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why);
    }

    @ParameterizedTest(name = "allow {0} deny {1}: {2} permitted {3}")
    @CsvSource(delimiter = '|', value = {
            "                       |                | 203.0.113.9  | true",
            "10.0.0.0/8             |                | 10.1.1.1     | true",
            "10.0.0.0/8             |                | 11.1.1.1     | false",
            "10.0.0.0/8             | 10.1.0.0/16    | 10.1.1.1     | false",   // deny wins
            "10.0.0.0/8             | 10.1.0.0/16    | 10.2.1.1     | true",
            "                       | 10.1.0.0/16    | 10.1.1.1     | false",
            "                       | 10.1.0.0/16    | 192.0.2.1    | true",
            "10.0.0.0/8;2001:db8::/32 |              | 2001:db8::5  | true",
            "10.0.0.0/8;2001:db8::/32 |              | 2001:db9::5  | false",
            "10.0.0.0/8             | ::/0           | 10.1.1.1     | true",
            "::/0                   | ::1            | ::1          | false",
    })
    void allowAndDeny(String allow, String deny, String address, boolean expected) throws Exception {
        AddressRule rule = AddressRule.of(list(allow), list(deny));
        assertThat(rule.permits(InetAddress.getByName(address))).isEqualTo(expected);
    }

    private static List<String> list(String s) {
        return s == null ? List.of() : List.of(s.split(";"));
    }
}
