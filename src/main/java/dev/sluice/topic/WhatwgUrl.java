package dev.sluice.topic;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A URL record and the parts of the WHATWG URL Standard's basic URL parser that URL patterns
 * need: parsing a URL against a base, and the per-component canonicalisations that the URL
 * Pattern Standard performs by running the parser with a state override.
 *
 * <p>Why not {@link java.net.URI}: it follows RFC 3986 and refuses or keeps verbatim much of what
 * browsers accept and normalise (backslashes in special URLs, dot segments, default ports,
 * percent-encoding of spaces and non-ASCII, IPv4 numbers such as {@code 0x7f.1}). A URL pattern
 * must see a topic the way a browser's {@code new URL()} would, so the parser is the WHATWG one.
 *
 * <p>What is left out, on purpose: encodings other than UTF-8 for the query (topics are UTF-8),
 * and full UTS #46 processing of international domain names; {@link IDN#toASCII} (IDNA 2003) is
 * used instead, which agrees for the names topics use. Validation errors that the standard only
 * reports (without failing) are not reported.
 */
final class WhatwgUrl {

    String scheme = "";
    String username = "";
    String password = "";
    /** The serialised host, or null when the URL has none. */
    String host;
    /** The port, or -1 when null. */
    int port = -1;
    /** Segments of a hierarchical path; unused when {@link #opaquePath} is set. */
    List<String> path = new ArrayList<>();
    /** The path of a URL that has an opaque path ({@code mailto:x}), else null. */
    String opaquePath;
    String query;
    String fragment;

    /** Thrown by the canonicalisation entry points: the value is not valid for its component. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Special schemes

    static boolean isSpecial(String scheme) {
        return defaultPort(scheme) != -2;
    }

    /** The default port of a special scheme; -1 for file (none); -2 when not special. */
    static int defaultPort(String scheme) {
        return switch (scheme) {
            case "http", "ws" -> 80;
            case "https", "wss" -> 443;
            case "ftp" -> 21;
            case "file" -> -1;
            default -> -2;
        };
    }

    static final String[] SPECIAL_SCHEMES = {"ftp", "file", "http", "https", "ws", "wss"};

    boolean special() {
        return isSpecial(scheme);
    }

    boolean hasCredentials() {
        return !username.isEmpty() || !password.isEmpty();
    }

    String serializedPath() {
        if (opaquePath != null) {
            return opaquePath;
        }
        StringBuilder out = new StringBuilder();
        for (String segment : path) {
            out.append('/').append(segment);
        }
        return out.toString();
    }

    String serializedPort() {
        return port < 0 ? "" : Integer.toString(port);
    }

    // ---------------------------------------------------------------------------------------
    // Percent-encode sets

    private static boolean inC0ControlSet(int c) {
        return c <= 0x1F || c > 0x7E;
    }

    private static boolean inFragmentSet(int c) {
        return inC0ControlSet(c) || c == ' ' || c == '"' || c == '<' || c == '>' || c == '`';
    }

    private static boolean inQuerySet(int c) {
        return inC0ControlSet(c) || c == ' ' || c == '"' || c == '#' || c == '<' || c == '>';
    }

    private static boolean inSpecialQuerySet(int c) {
        return inQuerySet(c) || c == '\'';
    }

    private static boolean inPathSet(int c) {
        return inQuerySet(c) || c == '?' || c == '^' || c == '`' || c == '{' || c == '}';
    }

    private static boolean inUserinfoSet(int c) {
        return inPathSet(c) || c == '/' || c == ':' || c == ';' || c == '=' || c == '@'
                || (c >= '[' && c <= ']') || c == '|';
    }

    private interface EncodeSet {
        boolean contains(int codePoint);
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private static void percentEncode(StringBuilder out, int codePoint, EncodeSet set) {
        if (!set.contains(codePoint)) {
            out.appendCodePoint(codePoint);
            return;
        }
        byte[] bytes = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
        }
    }

    private static String percentEncode(String input, EncodeSet set) {
        StringBuilder out = new StringBuilder(input.length() + 8);
        input.codePoints().forEach(c -> percentEncode(out, c, set));
        return out.toString();
    }

    private static final EncodeSet USERINFO = WhatwgUrl::inUserinfoSet;
    private static final EncodeSet PATH = WhatwgUrl::inPathSet;
    private static final EncodeSet QUERY = WhatwgUrl::inQuerySet;
    private static final EncodeSet SPECIAL_QUERY = WhatwgUrl::inSpecialQuerySet;
    private static final EncodeSet FRAGMENT = WhatwgUrl::inFragmentSet;
    private static final EncodeSet C0 = WhatwgUrl::inC0ControlSet;

    // ---------------------------------------------------------------------------------------
    // The basic URL parser

    private enum State {
        SCHEME_START, SCHEME, NO_SCHEME, SPECIAL_RELATIVE_OR_AUTHORITY, PATH_OR_AUTHORITY, RELATIVE,
        RELATIVE_SLASH, SPECIAL_AUTHORITY_SLASHES, SPECIAL_AUTHORITY_IGNORE_SLASHES, AUTHORITY, HOST,
        HOSTNAME, PORT, FILE, FILE_SLASH, FILE_HOST, PATH_START, PATH, OPAQUE_PATH, QUERY, FRAGMENT
    }

    /** Parses {@code input} against {@code base} (may be null); null when it is not a URL. */
    static WhatwgUrl parse(String input, WhatwgUrl base) {
        WhatwgUrl url = new WhatwgUrl();
        String trimmed = trimC0AndSpace(input);
        return url.run(trimmed, base, null) ? url : null;
    }

    static WhatwgUrl parse(String input) {
        return parse(input, null);
    }

    private static String trimC0AndSpace(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) <= 0x20) {
            start++;
        }
        while (end > start && s.charAt(end - 1) <= 0x20) {
            end--;
        }
        return s.substring(start, end);
    }

    private static int[] codePointsWithoutTabOrNewline(String input) {
        return input.codePoints().filter(c -> c != '\t' && c != '\n' && c != '\r').toArray();
    }

    private static final int EOF = -1;

    private static boolean isAsciiAlpha(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isAsciiDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAsciiHex(int c) {
        return isAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean isWindowsDriveLetter(CharSequence s, boolean normalizedOnly) {
        return s.length() == 2 && isAsciiAlpha(s.charAt(0))
                && (s.charAt(1) == ':' || (!normalizedOnly && s.charAt(1) == '|'));
    }

    private static boolean startsWithWindowsDriveLetter(int[] cps, int from) {
        if (cps.length - from < 2) {
            return false;
        }
        if (!isAsciiAlpha(cps[from]) || (cps[from + 1] != ':' && cps[from + 1] != '|')) {
            return false;
        }
        if (cps.length - from == 2) {
            return true;
        }
        int third = cps[from + 2];
        return third == '/' || third == '\\' || third == '?' || third == '#';
    }

    private void shortenPath() {
        if (scheme.equals("file") && path.size() == 1 && isWindowsDriveLetter(path.get(0), true)) {
            return;
        }
        if (!path.isEmpty()) {
            path.remove(path.size() - 1);
        }
    }

    private static boolean isSingleDot(String s) {
        return s.equals(".") || s.equalsIgnoreCase("%2e");
    }

    private static boolean isDoubleDot(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "..", ".%2e", "%2e.", "%2e%2e" -> true;
            default -> false;
        };
    }

    /**
     * Runs the parser over {@code input}. With a {@code stateOverride} this URL is modified in
     * place, as the URL Standard's setters do. Returns false on failure.
     */
    private boolean run(String input, WhatwgUrl base, State stateOverride) {
        int[] c = codePointsWithoutTabOrNewline(input);
        State state = stateOverride != null ? stateOverride : State.SCHEME_START;
        StringBuilder buffer = new StringBuilder();
        boolean atSignSeen = false;
        boolean insideBrackets = false;
        boolean passwordTokenSeen = false;
        int pointer = 0;
        while (true) {
            int ch = pointer < c.length ? c[pointer] : EOF;
            switch (state) {
                case SCHEME_START -> {
                    if (isAsciiAlpha(ch)) {
                        buffer.append(Character.toLowerCase((char) ch));
                        state = State.SCHEME;
                    } else if (stateOverride == null) {
                        state = State.NO_SCHEME;
                        pointer--;
                    } else {
                        return false;
                    }
                }
                case SCHEME -> {
                    if (isAsciiAlpha(ch) || isAsciiDigit(ch) || ch == '+' || ch == '-' || ch == '.') {
                        buffer.append(Character.toLowerCase((char) ch));
                    } else if (ch == ':') {
                        String candidate = buffer.toString();
                        if (stateOverride != null) {
                            if (isSpecial(scheme) != isSpecial(candidate)) {
                                return true;
                            }
                            if ((hasCredentials() || port >= 0) && candidate.equals("file")) {
                                return true;
                            }
                            if (scheme.equals("file") && host != null && host.isEmpty()) {
                                return true;
                            }
                        }
                        scheme = candidate;
                        if (stateOverride != null) {
                            if (port == defaultPort(scheme)) {
                                port = -1;
                            }
                            return true;
                        }
                        buffer.setLength(0);
                        if (scheme.equals("file")) {
                            state = State.FILE;
                        } else if (special() && base != null && base.scheme.equals(scheme)) {
                            state = State.SPECIAL_RELATIVE_OR_AUTHORITY;
                        } else if (special()) {
                            state = State.SPECIAL_AUTHORITY_SLASHES;
                        } else if (pointer + 1 < c.length && c[pointer + 1] == '/') {
                            state = State.PATH_OR_AUTHORITY;
                            pointer++;
                        } else {
                            opaquePath = "";
                            state = State.OPAQUE_PATH;
                        }
                    } else if (stateOverride == null) {
                        buffer.setLength(0);
                        state = State.NO_SCHEME;
                        pointer = -1;
                    } else {
                        return false;
                    }
                }
                case NO_SCHEME -> {
                    if (base == null || (base.opaquePath != null && ch != '#')) {
                        return false;
                    } else if (base.opaquePath != null) {
                        scheme = base.scheme;
                        opaquePath = base.opaquePath;
                        query = base.query;
                        fragment = "";
                        state = State.FRAGMENT;
                    } else if (!base.scheme.equals("file")) {
                        state = State.RELATIVE;
                        pointer--;
                    } else {
                        state = State.FILE;
                        pointer--;
                    }
                }
                case SPECIAL_RELATIVE_OR_AUTHORITY -> {
                    if (ch == '/' && pointer + 1 < c.length && c[pointer + 1] == '/') {
                        state = State.SPECIAL_AUTHORITY_IGNORE_SLASHES;
                        pointer++;
                    } else {
                        state = State.RELATIVE;
                        pointer--;
                    }
                }
                case PATH_OR_AUTHORITY -> {
                    if (ch == '/') {
                        state = State.AUTHORITY;
                    } else {
                        state = State.PATH;
                        pointer--;
                    }
                }
                case RELATIVE -> {
                    scheme = base.scheme;
                    if (ch == '/') {
                        state = State.RELATIVE_SLASH;
                    } else if (special() && ch == '\\') {
                        state = State.RELATIVE_SLASH;
                    } else {
                        username = base.username;
                        password = base.password;
                        host = base.host;
                        port = base.port;
                        path = new ArrayList<>(base.path);
                        query = base.query;
                        if (ch == '?') {
                            query = "";
                            state = State.QUERY;
                        } else if (ch == '#') {
                            fragment = "";
                            state = State.FRAGMENT;
                        } else if (ch != EOF) {
                            query = null;
                            shortenPath();
                            state = State.PATH;
                            pointer--;
                        }
                    }
                }
                case RELATIVE_SLASH -> {
                    if (special() && (ch == '/' || ch == '\\')) {
                        state = State.SPECIAL_AUTHORITY_IGNORE_SLASHES;
                    } else if (ch == '/') {
                        state = State.AUTHORITY;
                    } else {
                        username = base.username;
                        password = base.password;
                        host = base.host;
                        port = base.port;
                        state = State.PATH;
                        pointer--;
                    }
                }
                case SPECIAL_AUTHORITY_SLASHES -> {
                    if (ch == '/' && pointer + 1 < c.length && c[pointer + 1] == '/') {
                        state = State.SPECIAL_AUTHORITY_IGNORE_SLASHES;
                        pointer++;
                    } else {
                        state = State.SPECIAL_AUTHORITY_IGNORE_SLASHES;
                        pointer--;
                    }
                }
                case SPECIAL_AUTHORITY_IGNORE_SLASHES -> {
                    if (ch != '/' && ch != '\\') {
                        state = State.AUTHORITY;
                        pointer--;
                    }
                }
                case AUTHORITY -> {
                    if (ch == '@') {
                        if (atSignSeen) {
                            buffer.insert(0, "%40");
                        }
                        atSignSeen = true;
                        String b = buffer.toString();
                        StringBuilder user = new StringBuilder(username);
                        StringBuilder pass = new StringBuilder(password);
                        for (int i = 0; i < b.length(); ) {
                            int cp = b.codePointAt(i);
                            i += Character.charCount(cp);
                            if (cp == ':' && !passwordTokenSeen) {
                                passwordTokenSeen = true;
                                continue;
                            }
                            percentEncode(passwordTokenSeen ? pass : user, cp, USERINFO);
                        }
                        username = user.toString();
                        password = pass.toString();
                        buffer.setLength(0);
                    } else if (ch == EOF || ch == '/' || ch == '?' || ch == '#'
                            || (special() && ch == '\\')) {
                        if (atSignSeen && buffer.isEmpty()) {
                            return false;
                        }
                        pointer -= buffer.codePointCount(0, buffer.length()) + 1;
                        buffer.setLength(0);
                        state = State.HOST;
                    } else {
                        buffer.appendCodePoint(ch);
                    }
                }
                case HOST, HOSTNAME -> {
                    if (stateOverride != null && scheme.equals("file")) {
                        pointer--;
                        state = State.FILE_HOST;
                    } else if (ch == ':' && !insideBrackets) {
                        if (buffer.isEmpty()) {
                            return false;
                        }
                        if (stateOverride == State.HOSTNAME) {
                            return false;
                        }
                        String parsed = parseHost(buffer.toString(), !special());
                        if (parsed == null) {
                            return false;
                        }
                        host = parsed;
                        buffer.setLength(0);
                        state = State.PORT;
                    } else if (ch == EOF || ch == '/' || ch == '?' || ch == '#'
                            || (special() && ch == '\\')) {
                        pointer--;
                        if (special() && buffer.isEmpty()) {
                            return false;
                        } else if (stateOverride != null && buffer.isEmpty()
                                && (hasCredentials() || port >= 0)) {
                            return false;
                        }
                        String parsed = parseHost(buffer.toString(), !special());
                        if (parsed == null) {
                            return false;
                        }
                        host = parsed;
                        buffer.setLength(0);
                        state = State.PATH_START;
                        if (stateOverride != null) {
                            return true;
                        }
                    } else {
                        if (ch == '[') {
                            insideBrackets = true;
                        } else if (ch == ']') {
                            insideBrackets = false;
                        }
                        buffer.appendCodePoint(ch);
                    }
                }
                case PORT -> {
                    if (isAsciiDigit(ch)) {
                        buffer.append((char) ch);
                    } else if (ch == EOF || ch == '/' || ch == '?' || ch == '#'
                            || (special() && ch == '\\') || stateOverride != null) {
                        if (!buffer.isEmpty()) {
                            String digits = buffer.toString().replaceFirst("^0+(?=.)", "");
                            if (digits.length() > 5 || Integer.parseInt(digits) > 65535) {
                                return false;
                            }
                            int value = Integer.parseInt(digits);
                            port = value == defaultPort(scheme) ? -1 : value;
                            buffer.setLength(0);
                            if (stateOverride != null) {
                                return true;
                            }
                        }
                        if (stateOverride != null) {
                            return false;
                        }
                        state = State.PATH_START;
                        pointer--;
                    } else {
                        return false;
                    }
                }
                case FILE -> {
                    scheme = "file";
                    host = "";
                    if (ch == '/' || ch == '\\') {
                        state = State.FILE_SLASH;
                    } else if (base != null && base.scheme.equals("file")) {
                        host = base.host;
                        path = new ArrayList<>(base.path);
                        query = base.query;
                        if (ch == '?') {
                            query = "";
                            state = State.QUERY;
                        } else if (ch == '#') {
                            fragment = "";
                            state = State.FRAGMENT;
                        } else if (ch != EOF) {
                            query = null;
                            if (!startsWithWindowsDriveLetter(c, pointer)) {
                                shortenPath();
                            } else {
                                path = new ArrayList<>();
                            }
                            state = State.PATH;
                            pointer--;
                        }
                    } else {
                        state = State.PATH;
                        pointer--;
                    }
                }
                case FILE_SLASH -> {
                    if (ch == '/' || ch == '\\') {
                        state = State.FILE_HOST;
                    } else {
                        if (base != null && base.scheme.equals("file")) {
                            host = base.host;
                            if (!startsWithWindowsDriveLetter(c, pointer) && !base.path.isEmpty()
                                    && isWindowsDriveLetter(base.path.get(0), true)) {
                                path.add(base.path.get(0));
                            }
                        }
                        state = State.PATH;
                        pointer--;
                    }
                }
                case FILE_HOST -> {
                    if (ch == EOF || ch == '/' || ch == '\\' || ch == '?' || ch == '#') {
                        pointer--;
                        if (stateOverride == null && isWindowsDriveLetter(buffer, false)) {
                            state = State.PATH;
                        } else if (buffer.isEmpty()) {
                            host = "";
                            if (stateOverride != null) {
                                return true;
                            }
                            state = State.PATH_START;
                        } else {
                            String parsed = parseHost(buffer.toString(), false);
                            if (parsed == null) {
                                return false;
                            }
                            host = parsed.equals("localhost") ? "" : parsed;
                            if (stateOverride != null) {
                                return true;
                            }
                            buffer.setLength(0);
                            state = State.PATH_START;
                        }
                    } else {
                        buffer.appendCodePoint(ch);
                    }
                }
                case PATH_START -> {
                    if (special()) {
                        state = State.PATH;
                        if (ch != '/' && ch != '\\') {
                            pointer--;
                        }
                    } else if (stateOverride == null && ch == '?') {
                        query = "";
                        state = State.QUERY;
                    } else if (stateOverride == null && ch == '#') {
                        fragment = "";
                        state = State.FRAGMENT;
                    } else if (ch != EOF) {
                        state = State.PATH;
                        if (ch != '/') {
                            pointer--;
                        }
                    } else if (stateOverride != null && host == null) {
                        path.add("");
                    }
                }
                case PATH -> {
                    boolean slash = ch == '/' || (special() && ch == '\\');
                    if (ch == EOF || slash || (stateOverride == null && (ch == '?' || ch == '#'))) {
                        String segment = buffer.toString();
                        if (isDoubleDot(segment)) {
                            shortenPath();
                            if (!slash) {
                                path.add("");
                            }
                        } else if (isSingleDot(segment) && !slash) {
                            path.add("");
                        } else if (!isSingleDot(segment)) {
                            if (scheme.equals("file") && path.isEmpty()
                                    && isWindowsDriveLetter(segment, false)) {
                                segment = segment.charAt(0) + ":";
                            }
                            path.add(segment);
                        }
                        buffer.setLength(0);
                        if (ch == '?') {
                            query = "";
                            state = State.QUERY;
                        }
                        if (ch == '#') {
                            fragment = "";
                            state = State.FRAGMENT;
                        }
                    } else {
                        percentEncode(buffer, ch, PATH);
                    }
                }
                case OPAQUE_PATH -> {
                    if (ch == '?') {
                        query = "";
                        state = State.QUERY;
                    } else if (ch == '#') {
                        fragment = "";
                        state = State.FRAGMENT;
                    } else if (ch == ' ') {
                        int next = pointer + 1 < c.length ? c[pointer + 1] : EOF;
                        opaquePath += (next == '?' || next == '#') ? "%20" : " ";
                    } else if (ch != EOF) {
                        StringBuilder out = new StringBuilder(opaquePath);
                        percentEncode(out, ch, C0);
                        opaquePath = out.toString();
                    }
                }
                case QUERY -> {
                    if ((stateOverride == null && ch == '#') || ch == EOF) {
                        StringBuilder out = new StringBuilder(query == null ? "" : query);
                        EncodeSet set = special() ? SPECIAL_QUERY : QUERY;
                        String b = buffer.toString();
                        b.codePoints().forEach(cp -> percentEncode(out, cp, set));
                        query = out.toString();
                        buffer.setLength(0);
                        if (ch == '#') {
                            fragment = "";
                            state = State.FRAGMENT;
                        }
                    } else {
                        buffer.appendCodePoint(ch);
                    }
                }
                case FRAGMENT -> {
                    if (ch != EOF) {
                        StringBuilder out = new StringBuilder(fragment);
                        percentEncode(out, ch, FRAGMENT);
                        fragment = out.toString();
                    }
                }
            }
            // After a run at the end of input the parse is done, unless the state stepped back
            // (pointer--) to have another state see the same position again.
            if (pointer >= c.length) {
                return true;
            }
            pointer++;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Host parsing

    private static boolean isForbiddenHostCodePoint(int c) {
        return switch (c) {
            case 0, '\t', '\n', '\r', ' ', '#', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|' -> true;
            default -> false;
        };
    }

    private static boolean isForbiddenDomainCodePoint(int c) {
        return isForbiddenHostCodePoint(c) || (c >= 0 && c <= 0x1F) || c == '%' || c == 0x7F;
    }

    /** The host parser: the serialised host, or null on failure. */
    static String parseHost(String input, boolean opaque) {
        if (input.startsWith("[")) {
            if (!input.endsWith("]")) {
                return null;
            }
            int[] address = parseIpv6(input.substring(1, input.length() - 1));
            return address == null ? null : "[" + serializeIpv6(address) + "]";
        }
        if (opaque) {
            for (int i = 0; i < input.length(); ) {
                int cp = input.codePointAt(i);
                if (isForbiddenHostCodePoint(cp)) {
                    return null;
                }
                i += Character.charCount(cp);
            }
            return percentEncode(input, C0);
        }
        String domain = percentDecodeUtf8(input);
        String ascii = domainToAscii(domain);
        if (ascii == null || ascii.isEmpty()) {
            return null;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (isForbiddenDomainCodePoint(ascii.charAt(i))) {
                return null;
            }
        }
        if (endsInANumber(ascii)) {
            long v4 = parseIpv4(ascii);
            return v4 < 0 ? null : serializeIpv4(v4);
        }
        return ascii;
    }

    private static String domainToAscii(String domain) {
        boolean ascii = true;
        for (int i = 0; i < domain.length(); i++) {
            if (domain.charAt(i) > 0x7F) {
                ascii = false;
                break;
            }
        }
        // ASCII labels only need lower-casing unless one is an IDNA 'xn--' label to validate.
        if (ascii && !domain.toLowerCase(Locale.ROOT).contains("xn--")) {
            return domain.toLowerCase(Locale.ROOT);
        }
        try {
            // Map full stops the way UTS #46 does before IDN sees the labels.
            String mapped = domain.replace('\u3002', '.').replace('\uFF0E', '.').replace('\uFF61', '.');
            String result = IDN.toASCII(mapped, IDN.ALLOW_UNASSIGNED);
            return result.toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException notADomain) {
            return null;
        }
    }

    private static String percentDecodeUtf8(String input) {
        if (input.indexOf('%') < 0) {
            return input;
        }
        byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[bytes.length];
        int n = 0;
        for (int i = 0; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b == '%' && i + 2 < bytes.length && isAsciiHex(bytes[i + 1]) && isAsciiHex(bytes[i + 2])) {
                out[n++] = (byte) Integer.parseInt(new String(bytes, i + 1, 2, StandardCharsets.US_ASCII), 16);
                i += 2;
            } else {
                out[n++] = b;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static boolean endsInANumber(String input) {
        String[] parts = input.split("\\.", -1);
        int last = parts.length - 1;
        if (parts[last].isEmpty()) {
            if (parts.length == 1) {
                return false;
            }
            last--;
        }
        String part = parts[last];
        if (!part.isEmpty() && part.chars().allMatch(WhatwgUrl::isAsciiDigit)) {
            return true;
        }
        return parseIpv4Number(part) >= 0;
    }

    /** An IPv4 number part (decimal, 0x hex or 0 octal), or -1. */
    private static long parseIpv4Number(String input) {
        if (input.isEmpty()) {
            return -1;
        }
        int radix = 10;
        String s = input;
        if (s.length() >= 2 && (s.startsWith("0x") || s.startsWith("0X"))) {
            s = s.substring(2);
            radix = 16;
        } else if (s.length() >= 2 && s.charAt(0) == '0') {
            s = s.substring(1);
            radix = 8;
        }
        if (s.isEmpty()) {
            return 0;
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), radix) < 0) {
                return -1;
            }
        }
        if (s.length() > 12) {
            return Long.MAX_VALUE / 2;
        }
        return Long.parseLong(s, radix);
    }

    private static long parseIpv4(String input) {
        List<String> parts = new ArrayList<>(List.of(input.split("\\.", -1)));
        if (parts.get(parts.size() - 1).isEmpty() && parts.size() > 1) {
            parts.remove(parts.size() - 1);
        }
        if (parts.size() > 4) {
            return -1;
        }
        long[] numbers = new long[parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            long n = parseIpv4Number(parts.get(i));
            if (n < 0) {
                return -1;
            }
            numbers[i] = n;
        }
        for (int i = 0; i < numbers.length - 1; i++) {
            if (numbers[i] > 255) {
                return -1;
            }
        }
        if (numbers[numbers.length - 1] >= Math.pow(256, 5 - numbers.length)) {
            return -1;
        }
        long ipv4 = numbers[numbers.length - 1];
        for (int i = 0; i < numbers.length - 1; i++) {
            ipv4 += numbers[i] * (long) Math.pow(256, 3 - i);
        }
        return ipv4;
    }

    private static String serializeIpv4(long address) {
        return ((address >> 24) & 0xFF) + "." + ((address >> 16) & 0xFF) + "."
                + ((address >> 8) & 0xFF) + "." + (address & 0xFF);
    }

    private static int[] parseIpv6(String input) {
        int[] address = new int[8];
        int pieceIndex = 0;
        int compress = -1;
        int pointer = 0;
        int len = input.length();
        if (pointer < len && input.charAt(pointer) == ':') {
            if (pointer + 1 >= len || input.charAt(pointer + 1) != ':') {
                return null;
            }
            pointer += 2;
            pieceIndex++;
            compress = pieceIndex;
        }
        while (pointer < len) {
            if (pieceIndex == 8) {
                return null;
            }
            if (input.charAt(pointer) == ':') {
                if (compress != -1) {
                    return null;
                }
                pointer++;
                pieceIndex++;
                compress = pieceIndex;
                continue;
            }
            int value = 0;
            int length = 0;
            while (length < 4 && pointer < len && isAsciiHex(input.charAt(pointer))) {
                value = value * 0x10 + Character.digit(input.charAt(pointer), 16);
                pointer++;
                length++;
            }
            if (pointer < len && input.charAt(pointer) == '.') {
                if (length == 0) {
                    return null;
                }
                pointer -= length;
                if (pieceIndex > 6) {
                    return null;
                }
                int numbersSeen = 0;
                while (pointer < len) {
                    int ipv4Piece = -1;
                    if (numbersSeen > 0) {
                        if (input.charAt(pointer) == '.' && numbersSeen < 4) {
                            pointer++;
                        } else {
                            return null;
                        }
                    }
                    if (pointer >= len || !isAsciiDigit(input.charAt(pointer))) {
                        return null;
                    }
                    while (pointer < len && isAsciiDigit(input.charAt(pointer))) {
                        int number = input.charAt(pointer) - '0';
                        if (ipv4Piece == -1) {
                            ipv4Piece = number;
                        } else if (ipv4Piece == 0) {
                            return null;
                        } else {
                            ipv4Piece = ipv4Piece * 10 + number;
                        }
                        if (ipv4Piece > 255) {
                            return null;
                        }
                        pointer++;
                    }
                    address[pieceIndex] = address[pieceIndex] * 0x100 + ipv4Piece;
                    numbersSeen++;
                    if (numbersSeen == 2 || numbersSeen == 4) {
                        pieceIndex++;
                    }
                }
                if (numbersSeen != 4) {
                    return null;
                }
                break;
            } else if (pointer < len && input.charAt(pointer) == ':') {
                pointer++;
                if (pointer >= len) {
                    return null;
                }
            } else if (pointer < len) {
                return null;
            }
            address[pieceIndex] = value;
            pieceIndex++;
        }
        if (compress != -1) {
            int swaps = pieceIndex - compress;
            pieceIndex = 7;
            while (pieceIndex != 0 && swaps > 0) {
                int tmp = address[pieceIndex];
                address[pieceIndex] = address[compress + swaps - 1];
                address[compress + swaps - 1] = tmp;
                pieceIndex--;
                swaps--;
            }
        } else if (pieceIndex != 8) {
            return null;
        }
        return address;
    }

    private static String serializeIpv6(int[] address) {
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (address[i] == 0) {
                int j = i;
                while (j < 8 && address[j] == 0) {
                    j++;
                }
                if (j - i > bestLen) {
                    bestStart = i;
                    bestLen = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        StringBuilder out = new StringBuilder();
        boolean ignore0 = false;
        for (int i = 0; i < 8; i++) {
            if (ignore0 && address[i] == 0) {
                continue;
            }
            ignore0 = false;
            if (i == bestStart) {
                out.append(i == 0 ? "::" : ":");
                ignore0 = true;
                continue;
            }
            out.append(Integer.toHexString(address[i]));
            if (i != 7) {
                out.append(':');
            }
        }
        return out.toString();
    }

    // ---------------------------------------------------------------------------------------
    // Canonicalisation of one component, as the URL Pattern Standard defines it

    static String canonicalizeProtocol(String value) throws Invalid {
        if (value.isEmpty()) {
            return value;
        }
        WhatwgUrl url = parse(value + "://dummy.test");
        if (url == null) {
            throw new Invalid("not a valid scheme: " + value);
        }
        return url.scheme;
    }

    static String canonicalizeUsername(String value) {
        return value.isEmpty() ? value : percentEncode(value, USERINFO);
    }

    static String canonicalizePassword(String value) {
        return value.isEmpty() ? value : percentEncode(value, USERINFO);
    }

    static String canonicalizeHostname(String value, String protocol) throws Invalid {
        if (value.isEmpty()) {
            return value;
        }
        WhatwgUrl url = new WhatwgUrl();
        // Without a protocol (or with an empty one) a hostname is read as a special URL's host:
        // a domain, IDNA-mapped, with '\\' ending it; browsers and the WPT data agree on this.
        url.scheme = protocol == null || protocol.isEmpty() ? "https" : protocol;
        if (!url.run(value, null, State.HOSTNAME)) {
            throw new Invalid("not a valid hostname: " + value);
        }
        return url.host == null ? "" : url.host;
    }

    static String canonicalizeIpv6Hostname(String value) throws Invalid {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (!isAsciiHex(ch) && ch != '[' && ch != ']' && ch != ':') {
                throw new Invalid("not a valid IPv6 hostname: " + value);
            }
            out.append(Character.toLowerCase(ch));
        }
        return out.toString();
    }

    static String canonicalizePort(String value, String protocol) throws Invalid {
        if (value.isEmpty()) {
            return value;
        }
        WhatwgUrl url = new WhatwgUrl();
        if (protocol != null) {
            url.scheme = protocol;
        }
        if (!url.run(value, null, State.PORT)) {
            throw new Invalid("not a valid port: " + value);
        }
        return url.serializedPort();
    }

    static String canonicalizePathname(String value) {
        if (value.isEmpty()) {
            return value;
        }
        boolean leadingSlash = value.charAt(0) == '/';
        String modified = (leadingSlash ? "" : "/-") + value;
        WhatwgUrl url = new WhatwgUrl();
        url.run(modified, null, State.PATH_START);
        String result = url.serializedPath();
        return leadingSlash ? result : result.substring(Math.min(2, result.length()));
    }

    static String canonicalizeOpaquePathname(String value) {
        return runFrom(value, State.OPAQUE_PATH, url -> url.opaquePath = "", url -> url.opaquePath);
    }

    static String canonicalizeSearch(String value) {
        return runFrom(value, State.QUERY, url -> url.query = "", url -> url.query);
    }

    static String canonicalizeHash(String value) {
        return runFrom(value, State.FRAGMENT, url -> url.fragment = "", url -> url.fragment);
    }

    /** Runs the parser over a non-empty value from one state of an empty URL, and reads one component back. */
    private static String runFrom(String value, State state, java.util.function.Consumer<WhatwgUrl> empty,
                                  java.util.function.Function<WhatwgUrl, String> component) {
        if (value.isEmpty()) {
            return value;
        }
        WhatwgUrl url = new WhatwgUrl();
        empty.accept(url);
        url.run(value, null, state);
        return component.apply(url);
    }
}
