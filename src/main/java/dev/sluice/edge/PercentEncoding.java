package dev.sluice.edge;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks percent-encoded text (a request target, a form body) before it is decoded: every '%'
 * must start two hex digits, and the bytes the escapes stand for must be UTF-8. Netty's decoder
 * throws on the first and silently substitutes U+FFFD for the second; both are the client's
 * mistake and get a 400 that says which.
 */
final class PercentEncoding {

    private PercentEncoding() {}

    /**
     * What is wrong with a request target, which must be printable ASCII (RFC 3986), or null when
     * it decodes cleanly. A raw control character (NUL, DEL, ...) would otherwise end up in a topic
     * or be echoed back in an answer.
     */
    static String urlProblem(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c >= 0x80) {
                return "the byte at index " + i + " is not ASCII: percent-encode the UTF-8 bytes of non-ASCII"
                        + " characters (e.g. %C3%A9 for \u00e9).";
            }
            if (c < 0x20 || c == 0x7f) {
                return String.format("the byte at index %d (0x%02X) is a control character: percent-encode it.", i,
                        (int) c);
            }
        }
        return problem(uri);
    }

    /** What is wrong with the text, or null when it decodes cleanly. */
    static String problem(String text) {
        int length = text.length();
        if (text.indexOf('%') < 0) {
            return null;
        }
        // Most escapes are of ASCII (a topic URL's %3A and %2F): checked without allocating; only
        // text with an escape of a byte >= 0x80 is decoded as UTF-8 below.
        boolean fullPass = false;
        for (int i = text.indexOf('%'); i >= 0 && i < length; i = text.indexOf('%', i + 1)) {
            int hi = i + 1 < length ? Character.digit(text.charAt(i + 1), 16) : -1;
            int lo = i + 2 < length ? Character.digit(text.charAt(i + 2), 16) : -1;
            if (hi < 0 || lo < 0) {
                fullPass = true; // malformed: the full pass below says where and how
                break;
            }
            if (hi >= 8) {
                fullPass = true;
                break;
            }
            i += 2;
        }
        if (!fullPass) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.allocate(length); // each char gives at most one byte
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c == '%') {
                int hi = i + 1 < length ? Character.digit(text.charAt(i + 1), 16) : -1;
                int lo = i + 2 < length ? Character.digit(text.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    return "'" + text.substring(i, Math.min(i + 3, length)) + "' at index " + i
                            + " is not a percent-escape: '%' must be followed by two hex digits (%25 is a literal '%').";
                }
                bytes.put((byte) (hi << 4 | lo));
                i += 2;
            } else if (c < 0x80) {
                bytes.put((byte) c);
            } else {
                // Text outside the escapes is already characters: keep it valid whatever it is.
                bytes.put((byte) 'x');
            }
        }
        bytes.flip();
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
            return null;
        } catch (CharacterCodingException e) {
            return "its percent-escapes do not decode to UTF-8 text (escape each byte of the UTF-8 encoding,"
                    + " e.g. %C3%A9 for \u00e9).";
        }
    }
}
