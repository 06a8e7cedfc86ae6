package dev.sluice.admission;

import dev.sluice.config.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The hops a request passed through, as proxies report them: RFC 7239 {@code Forwarded}
 * ({@code for=} of each element) or {@code X-Forwarded-For}, in order, the client first and the
 * proxy nearest to us last. An entry that is not an IP address ({@code unknown}, an obfuscated
 * {@code _name}, a missing {@code for=}, garbage) is a null in the list: its hop is unknown.
 */
final class ForwardedHeaders {

    private ForwardedHeaders() {}

    /** The {@code for=} hops of all {@code Forwarded} header lines, in order. */
    static List<InetAddress> forwarded(List<String> lines) {
        List<InetAddress> hops = new ArrayList<>();
        for (String line : lines) {
            for (String element : split(line, ',')) {
                if (element.isBlank()) {
                    continue;
                }
                String forValue = null;
                for (String pair : split(element, ';')) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && pair.substring(0, eq).strip().equalsIgnoreCase("for")) {
                        forValue = unquote(pair.substring(eq + 1).strip());
                    }
                }
                hops.add(forValue == null ? null : node(forValue));
            }
        }
        return hops;
    }

    /** The hops of all {@code X-Forwarded-For} header lines, in order. */
    static List<InetAddress> xForwardedFor(List<String> lines) {
        List<InetAddress> hops = new ArrayList<>();
        for (String line : lines) {
            for (String entry : line.split(",", -1)) {
                String e = entry.strip();
                if (!e.isEmpty()) {
                    hops.add(node(e));
                }
            }
        }
        return hops;
    }

    /**
     * An address out of a node: {@code 192.0.2.1}, {@code 192.0.2.1:4711}, {@code [2001:db8::1]},
     * {@code [2001:db8::1]:4711} or a bare IPv6 address; null for anything else.
     */
    static InetAddress node(String node) {
        String n = node.strip();
        if (n.startsWith("[")) {
            int close = n.indexOf(']');
            if (close < 0) {
                return null;
            }
            String rest = n.substring(close + 1);
            if (!rest.isEmpty() && !rest.matches(":\\d{1,5}")) {
                return null;
            }
            String inner = n.substring(1, close);
            return inner.indexOf(':') >= 0 ? Cidr.literal(inner) : null;
        }
        int colon = n.indexOf(':');
        if (colon >= 0 && colon == n.lastIndexOf(':')) {
            // IPv4 with a port (IPv6 has at least two colons)
            if (!n.substring(colon + 1).matches("\\d{1,5}")) {
                return null;
            }
            n = n.substring(0, colon);
            return n.indexOf(':') < 0 ? Cidr.literal(n) : null;
        }
        return Cidr.literal(n);
    }

    /** Splits on {@code separator} outside double-quoted strings. */
    private static List<String> split(String s, char separator) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted && c == '\\' && i + 1 < s.length()) {
                cur.append(c).append(s.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == separator && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            StringBuilder sb = new StringBuilder(v.length());
            for (int i = 1; i < v.length() - 1; i++) {
                char c = v.charAt(i);
                if (c == '\\' && i + 1 < v.length() - 1) {
                    c = v.charAt(++i);
                }
                sb.append(c);
            }
            return sb.toString();
        }
        return v;
    }
}
