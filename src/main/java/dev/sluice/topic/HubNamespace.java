package dev.sluice.topic;

/**
 * The hub's reserved namespace: topics under the hub's own path ({@code /.well-known/mercure}
 * and below, such as subscription events) belong to the hub, so a publisher must not be able to
 * forge them.
 *
 * <p>The test follows Mercure 1.0: the topic is resolved against the hub's URL with the WHATWG
 * URL parser (so {@code ./}, {@code ../}, backslashes and {@code %2e} segments are what a browser
 * makes of them), percent-encoded unreserved characters in the path are decoded (so
 * {@code /.well-known/%6Dercure} is caught), and the path is compared whatever the scheme or host:
 * an absolute {@code https://other.example/.well-known/mercure/...} is reserved too. A topic that
 * is not a URL reference cannot name a hub path and is not reserved.
 */
public final class HubNamespace {

    private final WhatwgUrl hub;
    private final String hubPath;

    /** @param hubUrl the hub's absolute URL */
    public HubNamespace(String hubUrl) {
        this.hub = WhatwgUrl.parse(hubUrl);
        if (hub == null) {
            throw new IllegalArgumentException("not an absolute URL: " + hubUrl);
        }
        this.hubPath = stripTrailingSlash(decodeUnreserved(hub.serializedPath()));
    }

    public boolean reserves(String topic) {
        WhatwgUrl url = WhatwgUrl.parse(topic, hub);
        if (url == null || url.opaquePath != null) {
            return false;
        }
        String path = decodeUnreserved(url.serializedPath());
        return path.equals(hubPath) || path.startsWith(hubPath + "/");
    }

    private static String stripTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /** Decodes %XX escapes of unreserved characters (RFC 3986: ALPHA, DIGIT, '-', '.', '_', '~'). */
    static String decodeUnreserved(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        StringBuilder out = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length()) {
                int value = Character.digit(path.charAt(i + 1), 16) * 16 + Character.digit(path.charAt(i + 2), 16);
                if (value >= 0 && isUnreserved((char) value) && Character.digit(path.charAt(i + 1), 16) >= 0
                        && Character.digit(path.charAt(i + 2), 16) >= 0) {
                    out.append((char) value);
                    i += 2;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
