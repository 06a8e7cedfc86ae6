package dev.sluice.edge;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Event ids at the HTTP edge: what a publisher may choose, and how a {@code Last-Event-ID}
 * request header is read back.
 *
 * <p>The SSE standard has browsers send {@code Last-Event-ID} as UTF-8 bytes; the HTTP decoder
 * hands header values over with one char per byte (ISO-8859-1). Clients built on {@code fetch}
 * (Node's EventSource packages) can only send characters up to U+00FF, and send them as one
 * byte each; characters above U+00FF they cannot send at all, so they can never resume after
 * such an id. Hence publisher ids are printable ASCII by default, and the header is read as
 * UTF-8 when its bytes are valid UTF-8, else as ISO-8859-1 (one byte, one character).
 */
final class EventIds {
    private EventIds() {}

    /**
     * The text a client meant by the bytes of its {@code Last-Event-ID} header, given as one char
     * per byte: UTF-8 when the bytes are valid UTF-8, else ISO-8859-1. ASCII comes back as is.
     */
    static String decodeHeader(String raw) {
        if (raw == null) {
            return null;
        }
        boolean ascii = true;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c > 0xFF) {
                return raw; // not one char per byte: already text
            }
            ascii &= c < 0x80;
        }
        if (ascii) {
            return raw;
        }
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return raw; // a client that sent ISO-8859-1 (one byte per character)
        }
    }

    /**
     * Why a publisher's id would keep some clients from resuming, or null when every client can
     * send it back: the first character outside printable ASCII (U+0020 to U+007E) is named.
     */
    static String nonAsciiProblem(String id) {
        for (int i = 0; i < id.length(); ) {
            int cp = id.codePointAt(i);
            if (cp < 0x20 || cp > 0x7E) {
                return "Invalid 'id': it has a character outside printable ASCII ("
                        + (cp >= 0xA0 ? "'" + new String(Character.toChars(cp)) + "', " : "")
                        + String.format("U+%04X", cp) + " at index " + i + "). Clients send the id back in the"
                        + " Last-Event-ID header to resume, and most non-browser clients (Node's eventsource,"
                        + " undici, fetch-event-source) cannot send such a header: they would never resume."
                        + " Use an ASCII id (e.g. percent-encode it), or start the hub with --allow-non-ascii-ids.";
            }
            i += Character.charCount(cp);
        }
        return null;
    }
}
