package dev.sluice.edge;

import dev.sluice.config.Config;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * {@code WWW-Authenticate: Bearer} challenges as RFC 6750 and Mercure 1.0 shape them: no error
 * code when no token was sent, {@code invalid_token} for a token that fails validation (whatever
 * the reason, which stays in the body), {@code insufficient_scope} for a valid token that does not
 * allow the operation, {@code invalid_request} for a token presented where it may not be, and a
 * {@code resource_metadata} pointer (RFC 9728) where the client may need to discover the hub.
 */
final class Challenges {

    private Challenges() {
    }

    static String missing(String metadataUrl) {
        return "Bearer realm=\"mercure\", resource_metadata=\"" + metadataUrl + "\"";
    }

    /** @param metadataUrl where the metadata is, or null to leave the pointer out */
    static String invalidToken(String metadataUrl) {
        return "Bearer realm=\"mercure\", error=\"invalid_token\""
                + (metadataUrl == null ? "" : ", resource_metadata=\"" + metadataUrl + "\"");
    }

    /**
     * {@code invalid_token} with an {@code error_description} (RFC 6750 section 3): for refusals
     * whose reason a client library should show as it is. Characters a quoted description may not
     * hold (double quote, backslash, controls, non-ASCII) become {@code '} or {@code ?}.
     */
    static String invalidToken(String metadataUrl, String description) {
        StringBuilder safe = new StringBuilder(description.length());
        for (int i = 0; i < description.length(); i++) {
            char c = description.charAt(i);
            safe.append(c == '"' ? '\'' : c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x7E && c != '\\') ? c : '?');
        }
        return "Bearer realm=\"mercure\", error=\"invalid_token\", error_description=\"" + safe + "\""
                + (metadataUrl == null ? "" : ", resource_metadata=\"" + metadataUrl + "\"");
    }

    /**
     * The challenge with the {@code resource_metadata} pointer added when it has none: Mercure 1.0
     * asks for it on every 401 and 403, not only when no token was sent.
     */
    static String withMetadata(String challenge, String metadataUrl) {
        return challenge.contains("resource_metadata=") ? challenge
                : challenge + ", resource_metadata=\"" + metadataUrl + "\"";
    }

    static String insufficientScope() {
        return "Bearer realm=\"mercure\", error=\"insufficient_scope\"";
    }

    static String invalidRequest() {
        return "Bearer realm=\"mercure\", error=\"invalid_request\"";
    }

    /**
     * The hub's URL: {@code --hub-url}, or the request's own scheme and Host with the well-known
     * path when none was configured.
     */
    static String hubUrl(Config config, HttpHeaders headers, boolean tls) {
        return hubUrl(config.hubUrl(), headers, tls);
    }

    /** As {@link #hubUrl(Config, HttpHeaders, boolean)}, given {@code --hub-url} or null. */
    static String hubUrl(String configured, HttpHeaders headers, boolean tls) {
        if (configured != null) {
            return configured;
        }
        String host = headers.get(HttpHeaderNames.HOST);
        if (host == null || !plainHost(host)) {
            return Config.DEFAULT_HUB_URL;
        }
        return (tls ? "https://" : "http://") + host + "/.well-known/mercure";
    }

    /** A non-empty host[:port] of letters, digits, '.', ':', '-' and brackets (IPv6) only; checked without a regex. */
    static boolean plainHost(String host) {
        if (host.isEmpty()) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == ':' || c == '-' || c == '[' || c == ']';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where RFC 9728 puts the metadata of a resource: the well-known prefix inserted between the
     * authority and the resource's path.
     */
    static String metadataUrl(String hubUrl) {
        int schemeEnd = hubUrl.indexOf("://") + 3;
        int pathStart = hubUrl.indexOf('/', schemeEnd);
        String origin = pathStart < 0 ? hubUrl : hubUrl.substring(0, pathStart);
        String path = pathStart < 0 ? "" : hubUrl.substring(pathStart);
        return origin + "/.well-known/oauth-protected-resource" + (path.equals("/") ? "" : path);
    }
}
