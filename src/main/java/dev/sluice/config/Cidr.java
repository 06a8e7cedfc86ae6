package dev.sluice.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * An IPv4 or IPv6 network, {@code ADDRESS/PREFIX} ({@code 10.0.0.0/8}, {@code 2001:db8::/32}), or
 * one address without a prefix. Parsed once; matching compares the first {@code prefix} bits of
 * the address bytes. Only literal addresses are accepted: a host name is an error, never a DNS
 * lookup. An IPv4 network matches IPv4 addresses only (an IPv4-mapped IPv6 literal is read as
 * IPv4, as Java does).
 */
public final class Cidr {

    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    public int prefix() {
        return prefix;
    }

    private static final java.util.regex.Pattern IPV4 =
            java.util.regex.Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final java.util.regex.Pattern IPV6 = java.util.regex.Pattern.compile("[0-9A-Fa-f:.]+");

    /** Parses one network; IllegalArgumentException with a message saying what is wrong. */
    public static Cidr parse(String spec) {
        String s = spec.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("an empty entry is not a network: use ADDRESS/PREFIX, e.g. 10.0.0.0/8");
        }
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        boolean v4 = IPV4.matcher(address).matches();
        boolean v6 = !v4 && address.indexOf(':') >= 0 && IPV6.matcher(address).matches();
        if (!v4 && !v6) {
            throw new IllegalArgumentException("'" + s + "' is not an IPv4 or IPv6 network: use ADDRESS/PREFIX,"
                    + " e.g. 10.0.0.0/8 or 2001:db8::/32 (no host names)");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + s + "' is not an IPv4 or IPv6 network: " + address
                    + " is not an address");
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > bits) {
                throw new IllegalArgumentException("'" + s + "' has an invalid prefix length: use 0 to " + bits
                        + " for an IPv" + (bytes.length == 4 ? "4" : "6") + " network");
            }
            prefix = Integer.parseInt(p);
        }
        // Keep only the network part, so 10.1.2.3/8 means 10.0.0.0/8.
        for (int i = 0; i < bytes.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            bytes[i] &= (byte) (0xFF << (8 - keep));
        }
        return new Cidr(bytes, prefix, s);
    }

    /**
     * An IPv4 or IPv6 address written as a literal, else null (a name, {@code unknown}, an
     * obfuscated identifier, garbage). Never a DNS lookup.
     */
    public static InetAddress literal(String s) {
        boolean v4 = IPV4.matcher(s).matches();
        boolean v6 = !v4 && s.indexOf(':') >= 0 && IPV6.matcher(s).matches();
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Parses each entry of a list (from a comma-separated option). */
    public static List<Cidr> parseAll(List<String> specs) {
        List<Cidr> out = new ArrayList<>(specs.size());
        for (String spec : specs) {
            out.add(parse(spec));
        }
        return List.copyOf(out);
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        int whole = prefix / 8;
        for (int i = 0; i < whole; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (a[whole] & mask) == (network[whole] & 0xFF);
    }

    /** True when any of {@code networks} contains {@code address}. */
    public static boolean anyContains(List<Cidr> networks, InetAddress address) {
        for (Cidr c : networks) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(network) + prefix;
    }
}
