package dev.sluice.transport;

import dev.sluice.config.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code --transport} value naming NATS servers:
 * {@code nats://[USER:PASSWORD@|TOKEN@]HOST[:PORT][,HOST[:PORT]...]}, or {@code tls://} for TLS.
 * Hosts after the first take the first one's scheme and credentials unless they carry their own.
 *
 * @param servers one URL per server, credentials included, as jnats takes them
 * @param display the same without credentials, for logs and {@code /readyz}
 */
record NatsUrl(List<String> servers, String display) {

    static boolean accepts(String spec) {
        return spec.startsWith("nats://") || spec.startsWith("tls://");
    }

    static NatsUrl parse(String spec) {
        int schemeEnd = spec.indexOf("://");
        if (!accepts(spec)) {
            throw bad(spec, "it does not start with nats:// or tls://");
        }
        String scheme = spec.substring(0, schemeEnd);
        String userInfo = null;
        List<String> servers = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            String s = scheme;
            int sep = p.indexOf("://");
            if (sep >= 0) {
                s = p.substring(0, sep);
                if (!s.equals("nats") && !s.equals("tls")) {
                    throw bad(spec, "'" + s + "://' is not nats:// or tls://");
                }
                p = p.substring(sep + 3);
            }
            String info = userInfo;
            int at = p.lastIndexOf('@');
            if (at >= 0) {
                info = p.substring(0, at);
                p = p.substring(at + 1);
                if (servers.isEmpty()) {
                    userInfo = info;
                }
            }
            if (p.endsWith("/")) {
                p = p.substring(0, p.length() - 1);
            }
            checkHostPort(spec, p);
            servers.add(s + "://" + (info == null || info.isEmpty() ? "" : info + "@") + p);
            shown.add(s + "://" + p);
        }
        return new NatsUrl(List.copyOf(servers), String.join(",", shown));
    }

    private static void checkHostPort(String spec, String hostPort) {
        if (hostPort.isEmpty() || hostPort.contains("/")) {
            throw bad(spec, "'" + hostPort + "' is not HOST[:PORT]");
        }
        int colon = hostPort.lastIndexOf(':');
        if (colon > 0 && !hostPort.endsWith("]")) {
            String port = hostPort.substring(colon + 1);
            if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
                throw bad(spec, "'" + port + "' is not a port");
            }
        }
    }

    private static ConfigException bad(String spec, String why) {
        String safe = spec.replaceAll("//[^@,/]*@", "//***@");
        return new ConfigException("--transport", "'" + safe + "' is not a NATS URL: " + why
                + "; use nats://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...] or tls://...");
    }
}
