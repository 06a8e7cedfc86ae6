package dev.sluice.subscriptions;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The URLs of the subscriptions API, which are also the topics of subscription events:
 * {@code /.well-known/mercure/subscriptions/{topic}/{subscriber}} expanded as RFC 6570 simple
 * expansion does, so every character outside the unreserved set (letters, digits, {@code -._~})
 * is percent-encoded as UTF-8, {@code :}, {@code /}, <code>{</code> and <code>}</code> included.
 */
public final class SubscriptionPaths {

    public static final String COLLECTION = "/.well-known/mercure/subscriptions";
    /** Prefix of every subscription event's topic. */
    public static final String PREFIX = COLLECTION + "/";

    private SubscriptionPaths() {}

    public static String of(String topic) {
        return PREFIX + encode(topic);
    }

    public static String of(String topic, String subscriber) {
        return PREFIX + encode(topic) + "/" + encode(subscriber);
    }

    /** Mercure 1.0: {@code /.well-known/mercure/subscriptions/{match_type}/{match}/{subscriber}}. */
    public static String of(String matchType, String match, String subscriber) {
        return PREFIX + matchType + "/" + encode(match) + "/" + encode(subscriber);
    }

    /** Mercure 1.0's per-matcher collection: {@code /.well-known/mercure/subscriptions/{match_type}/{match}}. */
    public static String ofMatcher(String matchType, String match) {
        return PREFIX + matchType + "/" + encode(match);
    }

    /** Whether a first path segment names a Mercure 1.0 matcher type (then the path is 1.0's). */
    public static boolean isMatchType(String segment) {
        return segment.equals("exact") || segment.equals("urlpattern");
    }

    /** RFC 6570 simple expansion of one value: unreserved characters kept, the rest percent-encoded. */
    public static String encode(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    /**
     * Decodes one path segment; null when it has a bad escape or is not UTF-8 (the caller answers
     * 400). A {@code +} stays a plus: this is a path, not a form.
     */
    public static String decode(String segment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '%') {
                if (i + 2 >= segment.length()) {
                    return null;
                }
                int hi = Character.digit(segment.charAt(i + 1), 16);
                int lo = Character.digit(segment.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                out.write(c);
            } else {
                return null;
            }
        }
        var decoder = StandardCharsets.UTF_8.newDecoder();
        try {
            return decoder.decode(java.nio.ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }
}
