package dev.sluice.edge;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * Cross-site request forgery protection for publishes authenticated by the
 * {@code mercureAuthorization} cookie, which a browser attaches by itself to a request any page
 * makes: such a publish must say where it comes from ({@code Origin}, or failing that
 * {@code Referer}) and that origin must be one of {@code --publish-origins}. Publishes that carry
 * their token in the Authorization header or the query string are not checked: another site's page
 * cannot make a browser add those.
 */
final class PublishOrigins {

    private final List<String> allowed;
    private final boolean any;

    /** @param allowed origins as scheme://host[:port], or "*" for any origin */
    PublishOrigins(List<String> allowed) {
        this.any = allowed.contains("*");
        this.allowed = allowed.stream().filter(o -> !o.equals("*")).map(PublishOrigins::normalize).toList();
    }

    /** Null when the request may publish with its cookie; otherwise why not, for a 403. */
    String refusal(HttpHeaders headers) {
        return refusal(headers.get(HttpHeaderNames.ORIGIN), headers.get(HttpHeaderNames.REFERER));
    }

    /** As {@link #refusal(HttpHeaders)}, from the request's Origin and Referer headers (each may be null). */
    String refusal(String origin, String referer) {
        String from;
        String claimed;
        if (origin != null && !origin.isBlank()) {
            from = "Origin";
            claimed = origin.strip();
        } else {
            if (referer == null || referer.isBlank()) {
                return "A publish authenticated by the mercureAuthorization cookie must carry an Origin or"
                        + " Referer header naming an allowed origin (--publish-origins); this one has neither.";
            }
            from = "Referer";
            claimed = referer.strip();
        }
        String normalized = claimed.equals("null") ? null : normalize(claimed);
        if (normalized == null) {
            return "A publish authenticated by the mercureAuthorization cookie must come from an allowed origin;"
                    + " its " + from + " '" + abbreviate(claimed) + "' names no origin.";
        }
        if (any || allowed.contains(normalized)) {
            return null;
        }
        return "Origin " + normalized + " (from the " + from + " header) is not allowed to publish with the"
                + " mercureAuthorization cookie" + (allowed.isEmpty()
                ? "; no origin is (set --publish-origins)."
                : "; allowed: " + String.join(", ", allowed) + ".");
    }

    /** scheme://host[:port] in lower case, without the scheme's default port; null when not http(s). */
    static String normalize(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            String host = uri.getHost();
            if (scheme == null || host == null) {
                return null;
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                return null;
            }
            int port = uri.getPort();
            boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80)
                    || (scheme.equals("https") && port == 443);
            return scheme + "://" + host.toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
