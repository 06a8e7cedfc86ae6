package dev.sluice.topic;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A WHATWG URL pattern (the URL Pattern Living Standard), the topic matcher of Mercure 1.0's
 * {@code match_urlpattern}: {@code https://example.com/books/:id}, {@code /orders/*},
 * {@code https://{*.}?example.com/(\\d+)}.
 *
 * <p>How it works, as the standard states it: a pattern is split into the eight URL components
 * (protocol, username, password, hostname, port, pathname, search, hash); each component's
 * pattern string is tokenised, parsed into parts (fixed text, named or numbered groups, segment
 * and full wildcards, custom regular expressions, with {@code ?}, {@code *} and {@code +}
 * modifiers), and compiled into one regular expression. A topic matches when it parses as a URL
 * (against the base URL for relative topics, which Mercure sets to the hub's URL) and every
 * component's value matches that component's expression. Unspecified components of a pattern
 * given as a string inherit from the base URL or are wildcards, exactly as the standard says.
 *
 * <p>Denial of service: the standard compiles to regular expressions, and a crafted custom group
 * can make a backtracking engine run for exponential time. Mercure requires either a linear-time
 * engine or a cost limit that, when reached, makes the pattern not match. This class takes the
 * second: every component match reads its input through a {@link BudgetedInput} that counts
 * character reads and aborts the evaluation after {@link #EVALUATION_BUDGET} of them; an aborted
 * match (and a stack overflow of the regex engine on a deep input) is a non-match. Patterns are
 * also bounded in length by the caller (the gateway's selector length limit).
 *
 * <p>Differences from browsers, all stated in {@code UrlPatternWptTest}: international domain
 * names go through {@link java.net.IDN} (IDNA 2003), and regular expressions are Java's, which
 * accept the subset of ECMAScript syntax that URL patterns use in practice (classes, escapes,
 * non-capturing groups, quantifiers, lookaround, and {@code &&} class intersection like the
 * {@code v} flag).
 *
 * <p>Instances are immutable and thread-safe; compile once and share (see {@link SelectorCache}).
 */
public final class UrlPattern {

    /** Character reads one component match may make before it is abandoned as a non-match. */
    static final int EVALUATION_BUDGET = 200_000;

    static final String[] COMPONENTS = {
        "protocol", "username", "password", "hostname", "port", "pathname", "search", "hash"
    };

    private final Component[] components;
    private final WhatwgUrl base;
    private final String source;

    private UrlPattern(Component[] components, WhatwgUrl base, String source) {
        this.components = components;
        this.base = base;
        this.source = source;
    }

    /** The pattern is not a valid URL pattern; the message says why. */
    public static final class InvalidPatternException extends IllegalArgumentException {
        InvalidPatternException(String message) {
            super(message);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Public surface

    /**
     * Compiles a pattern string. {@code baseUrl} may be null for an absolute pattern; a relative
     * one ({@code /books/:id}) is resolved against it.
     *
     * @throws InvalidPatternException when the pattern or the base URL is not valid
     */
    public static UrlPattern compile(String pattern, String baseUrl) {
        Objects.requireNonNull(pattern, "pattern");
        Map<String, String> init = new ConstructorStringParser(pattern).parse();
        // Mercure resolves only relative patterns against the hub's URL. The standard would also
        // let the base fill in a relative pathname of an absolute non-special pattern
        // (urn:uuid\\:* becoming urn:/.well-known/uuid\\:*), which no topic author means.
        return fromString(pattern, init, init.containsKey("protocol") ? null : baseUrl, false);
    }

    /** The standard's {@code new URLPattern(pattern, baseUrl, {ignoreCase})}; used by the tests. */
    static UrlPattern compile(String pattern, String baseUrl, boolean ignoreCase) {
        Objects.requireNonNull(pattern, "pattern");
        return fromString(pattern, new ConstructorStringParser(pattern).parse(), baseUrl, ignoreCase);
    }

    private static UrlPattern fromString(String pattern, Map<String, String> init, String baseUrl,
                                         boolean ignoreCase) {
        if (baseUrl == null && !init.containsKey("protocol")) {
            throw new InvalidPatternException("a relative URL pattern needs a base URL: " + pattern);
        }
        if (baseUrl != null) {
            init.put("baseURL", baseUrl);
        }
        return fromInit(init, ignoreCase, pattern);
    }

    /** Compiles a pattern given as its components ({@code URLPatternInit}); used by the tests. */
    static UrlPattern compile(Map<String, String> init, boolean ignoreCase) {
        return fromInit(new LinkedHashMap<>(init), ignoreCase, init.toString());
    }

    /**
     * Whether the topic matches. A relative topic is resolved against the base URL given at
     * compile time; a topic that is not a URL (nor a relative reference) matches nothing.
     */
    public boolean matches(String topic) {
        WhatwgUrl url = WhatwgUrl.parse(topic, base);
        return url != null && exec(valuesOf(url)) != null;
    }

    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return source;
    }

    // ---------------------------------------------------------------------------------------
    // Matching

    /** One component's result of a match: the input it saw and its groups (null: unmatched). */
    record ComponentResult(String input, Map<String, String> groups) {}

    static String[] valuesOf(WhatwgUrl url) {
        return new String[] {
            url.scheme, url.username, url.password, url.host == null ? "" : url.host,
            url.serializedPort(), url.serializedPath(), url.query == null ? "" : url.query,
            url.fragment == null ? "" : url.fragment
        };
    }

    /** Matches a URL string (resolved against {@code baseUrl}, may be null); null: no match. */
    Map<String, ComponentResult> exec(String input, String baseUrl) {
        WhatwgUrl baseRecord = null;
        if (baseUrl != null) {
            baseRecord = WhatwgUrl.parse(baseUrl);
            if (baseRecord == null) {
                return null;
            }
        }
        WhatwgUrl url = WhatwgUrl.parse(input, baseRecord);
        return url == null ? null : exec(valuesOf(url));
    }

    /** Matches components given one by one ({@code URLPatternInit}); null: no match. */
    Map<String, ComponentResult> exec(Map<String, String> init, String baseUrl) {
        if (baseUrl != null) {
            throw new InvalidPatternException("a base URL cannot be given with URL components");
        }
        Map<String, String> processed;
        try {
            processed = processInit(init, "url", true);
        } catch (InvalidPatternException | WhatwgUrl.Invalid notAUrl) {
            return null;
        }
        String[] values = new String[COMPONENTS.length];
        for (int i = 0; i < COMPONENTS.length; i++) {
            values[i] = processed.getOrDefault(COMPONENTS[i], "");
        }
        return exec(values);
    }

    private Map<String, ComponentResult> exec(String[] values) {
        Map<String, ComponentResult> result = new LinkedHashMap<>();
        for (int i = 0; i < components.length; i++) {
            Map<String, String> groups = components[i].match(values[i]);
            if (groups == null) {
                return null;
            }
            result.put(COMPONENTS[i], new ComponentResult(values[i], groups));
        }
        return result;
    }

    /** A string whose reads are counted, so a runaway regular expression can be stopped. */
    static final class BudgetedInput implements CharSequence {
        private final String text;
        private int budget;

        BudgetedInput(String text, int budget) {
            this.text = text;
            this.budget = budget;
        }

        @Override
        public char charAt(int index) {
            if (--budget < 0) {
                throw BUDGET_EXHAUSTED;
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.substring(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static final class BudgetExhausted extends RuntimeException {
        BudgetExhausted() {
            super("URL pattern evaluation budget exhausted", null, false, false);
        }
    }

    private static final BudgetExhausted BUDGET_EXHAUSTED = new BudgetExhausted();

    /** One compiled component: its expression and the names of its groups, in order. */
    static final class Component {
        final Pattern regexp;
        final List<String> names;

        Component(Pattern regexp, List<String> names) {
            this.regexp = regexp;
            this.names = names;
        }

        /** The groups when {@code value} matches, else null (also when the budget ran out). */
        Map<String, String> match(String value) {
            Matcher m = regexp.matcher(new BudgetedInput(value, EVALUATION_BUDGET));
            try {
                if (!m.matches()) {
                    return null;
                }
            } catch (BudgetExhausted | StackOverflowError tooCostly) {
                return null;
            }
            Map<String, String> groups = new LinkedHashMap<>();
            for (int g = 0; g < names.size(); g++) {
                groups.put(names.get(g), m.group(g + 1));
            }
            return groups;
        }

        boolean matchesPlain(String value) {
            return match(value) != null;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Construction: process the init, compile every component

    private static UrlPattern fromInit(Map<String, String> init, boolean ignoreCase, String source) {
        Map<String, String> processed;
        try {
            processed = processInit(init, "pattern", false);
        } catch (WhatwgUrl.Invalid invalid) {
            throw new InvalidPatternException(invalid.getMessage());
        }
        for (String name : COMPONENTS) {
            processed.putIfAbsent(name, "*");
        }
        String protocol = processed.get("protocol");
        if (WhatwgUrl.isSpecial(protocol)
                && processed.get("port").equals(Integer.toString(WhatwgUrl.defaultPort(protocol)))) {
            processed.put("port", "");
        }
        Component[] compiled = new Component[COMPONENTS.length];
        compiled[0] = compileComponent(protocol, Callback.PROTOCOL, Options.DEFAULT, ignoreCase);
        compiled[1] = compileComponent(processed.get("username"), Callback.USERNAME, Options.DEFAULT, ignoreCase);
        compiled[2] = compileComponent(processed.get("password"), Callback.PASSWORD, Options.DEFAULT, ignoreCase);
        String hostname = processed.get("hostname");
        compiled[3] = compileComponent(hostname,
                isIpv6HostnamePattern(hostname) ? Callback.IPV6_HOSTNAME : Callback.HOSTNAME,
                Options.HOSTNAME, ignoreCase);
        compiled[4] = compileComponent(processed.get("port"), Callback.PORT, Options.DEFAULT, ignoreCase);
        boolean specialProtocol = matchesSpecialScheme(compiled[0]);
        compiled[5] = specialProtocol
                ? compileComponent(processed.get("pathname"), Callback.PATHNAME, Options.PATHNAME, ignoreCase)
                : compileComponent(processed.get("pathname"), Callback.OPAQUE_PATHNAME, Options.DEFAULT, ignoreCase);
        compiled[6] = compileComponent(processed.get("search"), Callback.SEARCH, Options.DEFAULT, ignoreCase);
        compiled[7] = compileComponent(processed.get("hash"), Callback.HASH, Options.DEFAULT, ignoreCase);
        WhatwgUrl base = null;
        String baseUrl = init.get("baseURL");
        if (baseUrl != null) {
            base = WhatwgUrl.parse(baseUrl);
        }
        return new UrlPattern(compiled, base, source);
    }

    private static boolean matchesSpecialScheme(Component protocol) {
        for (String scheme : WhatwgUrl.SPECIAL_SCHEMES) {
            if (protocol.matchesPlain(scheme)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isIpv6HostnamePattern(String input) {
        if (input.length() < 2) {
            return false;
        }
        char first = input.charAt(0);
        char second = input.charAt(1);
        return first == '[' || (first == '{' && second == '[') || (first == '\\' && second == '[');
    }

    /**
     * Processes a URLPatternInit: fills components from the base URL, resolves a relative
     * pathname against it, and (for type "url") canonicalises every component.
     */
    static Map<String, String> processInit(Map<String, String> init, String type, boolean startEmpty)
            throws WhatwgUrl.Invalid {
        Map<String, String> result = new LinkedHashMap<>();
        if (startEmpty) {
            for (String name : COMPONENTS) {
                result.put(name, "");
            }
        }
        boolean pattern = type.equals("pattern");
        WhatwgUrl baseUrl = null;
        if (init.containsKey("baseURL")) {
            baseUrl = WhatwgUrl.parse(init.get("baseURL"));
            if (baseUrl == null) {
                throw new InvalidPatternException("not a valid base URL: " + init.get("baseURL"));
            }
            if (!init.containsKey("protocol")) {
                result.put("protocol", baseString(baseUrl.scheme, pattern));
            }
            if (!pattern && !hasAny(init, "protocol", "hostname", "port", "username")) {
                result.put("username", baseString(baseUrl.username, pattern));
            }
            if (!pattern && !hasAny(init, "protocol", "hostname", "port", "username", "password")) {
                result.put("password", baseString(baseUrl.password, pattern));
            }
            if (!hasAny(init, "protocol", "hostname")) {
                result.put("hostname", baseString(baseUrl.host == null ? "" : baseUrl.host, pattern));
            }
            if (!hasAny(init, "protocol", "hostname", "port")) {
                result.put("port", baseUrl.serializedPort());
            }
            if (!hasAny(init, "protocol", "hostname", "port", "pathname")) {
                result.put("pathname", baseString(baseUrl.serializedPath(), pattern));
            }
            if (!hasAny(init, "protocol", "hostname", "port", "pathname", "search")) {
                result.put("search", baseString(baseUrl.query == null ? "" : baseUrl.query, pattern));
            }
            if (!hasAny(init, "protocol", "hostname", "port", "pathname", "search", "hash")) {
                result.put("hash", baseString(baseUrl.fragment == null ? "" : baseUrl.fragment, pattern));
            }
        }
        if (init.containsKey("protocol")) {
            String stripped = init.get("protocol");
            if (stripped.endsWith(":")) {
                stripped = stripped.substring(0, stripped.length() - 1);
            }
            result.put("protocol", pattern ? stripped : WhatwgUrl.canonicalizeProtocol(stripped));
        }
        if (init.containsKey("username")) {
            String v = init.get("username");
            result.put("username", pattern ? v : WhatwgUrl.canonicalizeUsername(v));
        }
        if (init.containsKey("password")) {
            String v = init.get("password");
            result.put("password", pattern ? v : WhatwgUrl.canonicalizePassword(v));
        }
        if (init.containsKey("hostname")) {
            String v = init.get("hostname");
            result.put("hostname", pattern ? v : WhatwgUrl.canonicalizeHostname(v, result.get("protocol")));
        }
        if (init.containsKey("port")) {
            String v = init.get("port");
            result.put("port", pattern ? v : WhatwgUrl.canonicalizePort(v, result.get("protocol")));
        }
        if (init.containsKey("pathname")) {
            String pathname = init.get("pathname");
            if (baseUrl != null && baseUrl.opaquePath == null && !isAbsolutePathname(pathname, type)) {
                String basePath = baseString(baseUrl.serializedPath(), pattern);
                int slash = basePath.lastIndexOf('/');
                if (slash >= 0) {
                    pathname = basePath.substring(0, slash + 1) + pathname;
                }
            }
            if (!pattern) {
                String protocol = result.getOrDefault("protocol", "");
                pathname = protocol.isEmpty() || WhatwgUrl.isSpecial(protocol)
                        ? WhatwgUrl.canonicalizePathname(pathname)
                        : WhatwgUrl.canonicalizeOpaquePathname(pathname);
            }
            result.put("pathname", pathname);
        }
        if (init.containsKey("search")) {
            String v = init.get("search");
            if (v.startsWith("?")) {
                v = v.substring(1);
            }
            result.put("search", pattern ? v : WhatwgUrl.canonicalizeSearch(v));
        }
        if (init.containsKey("hash")) {
            String v = init.get("hash");
            if (v.startsWith("#")) {
                v = v.substring(1);
            }
            result.put("hash", pattern ? v : WhatwgUrl.canonicalizeHash(v));
        }
        return result;
    }

    private static boolean hasAny(Map<String, String> init, String... keys) {
        for (String key : keys) {
            if (init.containsKey(key)) {
                return true;
            }
        }
        return false;
    }

    private static String baseString(String value, boolean pattern) {
        return pattern ? escapePatternString(value) : value;
    }

    private static boolean isAbsolutePathname(String input, String type) {
        if (input.isEmpty()) {
            return false;
        }
        if (input.charAt(0) == '/') {
            return true;
        }
        if (type.equals("url") || input.length() < 2) {
            return false;
        }
        return (input.charAt(0) == '\\' || input.charAt(0) == '{') && input.charAt(1) == '/';
    }

    static String escapePatternString(String input) {
        StringBuilder out = new StringBuilder(input.length());
        for (int i = 0; i < input.length(); i++) {
            char ch = input.charAt(i);
            if ("+*?:{}()\\".indexOf(ch) >= 0) {
                out.append('\\');
            }
            out.append(ch);
        }
        return out.toString();
    }

    static String escapeRegexpString(String input) {
        StringBuilder out = new StringBuilder(input.length());
        for (int i = 0; i < input.length(); i++) {
            char ch = input.charAt(i);
            if (".+*?^${}()[]|/\\".indexOf(ch) >= 0) {
                out.append('\\');
            }
            out.append(ch);
        }
        return out.toString();
    }

    // ---------------------------------------------------------------------------------------
    // Encoding callbacks and options

    private enum Callback {
        PROTOCOL, USERNAME, PASSWORD, HOSTNAME, IPV6_HOSTNAME, PORT, PATHNAME, OPAQUE_PATHNAME, SEARCH, HASH;

        String encode(String value) {
            try {
                return switch (this) {
                    case PROTOCOL -> WhatwgUrl.canonicalizeProtocol(value);
                    case USERNAME -> WhatwgUrl.canonicalizeUsername(value);
                    case PASSWORD -> WhatwgUrl.canonicalizePassword(value);
                    case HOSTNAME -> WhatwgUrl.canonicalizeHostname(value, null);
                    case IPV6_HOSTNAME -> WhatwgUrl.canonicalizeIpv6Hostname(value);
                    case PORT -> WhatwgUrl.canonicalizePort(value, null);
                    case PATHNAME -> WhatwgUrl.canonicalizePathname(value);
                    case OPAQUE_PATHNAME -> WhatwgUrl.canonicalizeOpaquePathname(value);
                    case SEARCH -> WhatwgUrl.canonicalizeSearch(value);
                    case HASH -> WhatwgUrl.canonicalizeHash(value);
                };
            } catch (WhatwgUrl.Invalid invalid) {
                throw new InvalidPatternException(invalid.getMessage());
            }
        }
    }

    /** The delimiter and prefix code points of a component ("" when none). */
    private record Options(String delimiter, String prefix) {
        static final Options DEFAULT = new Options("", "");
        static final Options HOSTNAME = new Options(".", "");
        static final Options PATHNAME = new Options("/", "/");

        /** The segment wildcard as the standard writes it (ECMAScript syntax). */
        String segmentWildcard() {
            return "[^" + escapeRegexpString(delimiter) + "]+?";
        }

        /** The same in Java syntax: {@code [^]} (any character) has no Java spelling. */
        String segmentWildcardForJava() {
            return delimiter.isEmpty() ? "[\\s\\S]+?" : segmentWildcard();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Tokenizer

    enum TokenType { OPEN, CLOSE, REGEXP, NAME, CHAR, ESCAPED_CHAR, OTHER_MODIFIER, ASTERISK, END, INVALID_CHAR }

    record Token(TokenType type, int index, String value) {}

    static List<Token> tokenize(String input, boolean strict) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = input.length();
        while (i < n) {
            int cp = input.codePointAt(i);
            int next = i + Character.charCount(cp);
            String cpText = input.substring(i, next);
            switch (cp) {
                case '*' -> {
                    tokens.add(new Token(TokenType.ASTERISK, i, cpText));
                    i = next;
                }
                case '+', '?' -> {
                    tokens.add(new Token(TokenType.OTHER_MODIFIER, i, cpText));
                    i = next;
                }
                case '\\' -> {
                    if (next >= n) {
                        tokenizingError(input, tokens, strict, i, next, "a pattern cannot end with a backslash");
                        i = next;
                    } else {
                        int escaped = input.codePointAt(next);
                        int after = next + Character.charCount(escaped);
                        tokens.add(new Token(TokenType.ESCAPED_CHAR, i, input.substring(next, after)));
                        i = after;
                    }
                }
                case '{' -> {
                    tokens.add(new Token(TokenType.OPEN, i, cpText));
                    i = next;
                }
                case '}' -> {
                    tokens.add(new Token(TokenType.CLOSE, i, cpText));
                    i = next;
                }
                case ':' -> {
                    int pos = next;
                    while (pos < n) {
                        int c = input.codePointAt(pos);
                        boolean ok = pos == next ? isIdentifierStart(c) : isIdentifierPart(c);
                        if (!ok) {
                            break;
                        }
                        pos += Character.charCount(c);
                    }
                    if (pos == next) {
                        tokenizingError(input, tokens, strict, i, next, "a ':' must be followed by a group name");
                        i = next;
                    } else {
                        tokens.add(new Token(TokenType.NAME, i, input.substring(next, pos)));
                        i = pos;
                    }
                }
                case '(' -> i = tokenizeRegexp(input, strict, tokens, i, next);
                default -> {
                    tokens.add(new Token(TokenType.CHAR, i, cpText));
                    i = next;
                }
            }
        }
        tokens.add(new Token(TokenType.END, n, ""));
        return tokens;
    }

    private static int tokenizeRegexp(String input, boolean strict, List<Token> tokens, int start, int next) {
        int n = input.length();
        int depth = 1;
        int pos = next;
        boolean error = false;
        while (pos < n) {
            int c = input.codePointAt(pos);
            int step = Character.charCount(c);
            if (c > 0x7F) {
                tokenizingError(input, tokens, strict, start, next, "a regular expression group must be ASCII");
                error = true;
                break;
            }
            if (pos == next && c == '?') {
                tokenizingError(input, tokens, strict, start, next, "a regular expression group cannot start with '?'");
                error = true;
                break;
            }
            if (c == '\\') {
                if (pos + 1 >= n) {
                    tokenizingError(input, tokens, strict, start, next, "a regular expression group cannot end with a backslash");
                    error = true;
                    break;
                }
                int escaped = input.codePointAt(pos + 1);
                if (escaped > 0x7F) {
                    tokenizingError(input, tokens, strict, start, next, "a regular expression group must be ASCII");
                    error = true;
                    break;
                }
                pos += 2;
                continue;
            }
            if (c == ')') {
                depth--;
                if (depth == 0) {
                    pos++;
                    break;
                }
            } else if (c == '(') {
                depth++;
                if (pos + 1 >= n) {
                    tokenizingError(input, tokens, strict, start, next, "unterminated regular expression group");
                    error = true;
                    break;
                }
                if (input.charAt(pos + 1) != '?') {
                    tokenizingError(input, tokens, strict, start, next,
                            "capturing groups are not allowed inside a regular expression group; use (?:...)");
                    error = true;
                    break;
                }
            }
            pos += step;
        }
        if (error) {
            return next;
        }
        if (depth != 0) {
            tokenizingError(input, tokens, strict, start, next, "unbalanced parentheses in a regular expression group");
            return next;
        }
        int valueEnd = pos - 1;
        if (valueEnd - next <= 0) {
            tokenizingError(input, tokens, strict, start, next, "an empty regular expression group '()'");
            return next;
        }
        tokens.add(new Token(TokenType.REGEXP, start, input.substring(next, valueEnd)));
        return pos;
    }

    /**
     * A tokenizing error: strict tokenizing (pattern strings) fails; lenient tokenizing (the
     * constructor string) records the offending code point as an invalid-char token and goes on.
     */
    private static void tokenizingError(String input, List<Token> tokens, boolean strict, int index,
                                        int nextIndex, String why) {
        if (strict) {
            throw new InvalidPatternException(why);
        }
        tokens.add(new Token(TokenType.INVALID_CHAR, index, input.substring(index, nextIndex)));
    }

    private static boolean isIdentifierStart(int c) {
        return c == '$' || c == '_' || Character.isUnicodeIdentifierStart(c);
    }

    private static boolean isIdentifierPart(int c) {
        return c == '$' || c == 0x200C || c == 0x200D
                || (Character.isUnicodeIdentifierPart(c) && !Character.isIdentifierIgnorable(c));
    }

    // ---------------------------------------------------------------------------------------
    // Pattern parser: tokens to parts

    enum PartType { FIXED_TEXT, REGEXP, SEGMENT_WILDCARD, FULL_WILDCARD }

    enum Modifier { NONE, OPTIONAL, ZERO_OR_MORE, ONE_OR_MORE;

        String text() {
            return switch (this) {
                case NONE -> "";
                case OPTIONAL -> "?";
                case ZERO_OR_MORE -> "*";
                case ONE_OR_MORE -> "+";
            };
        }
    }

    record Part(PartType type, String value, Modifier modifier, String name, String prefix, String suffix) {}

    private static final class PatternParser {
        private final List<Token> tokens;
        private final Callback callback;
        private final Options options;
        private final String segmentWildcard;
        private final List<Part> parts = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private final StringBuilder pendingFixed = new StringBuilder();
        private int index;
        private int nextNumericName;

        PatternParser(String input, Callback callback, Options options) {
            this.tokens = tokenize(input, true);
            this.callback = callback;
            this.options = options;
            this.segmentWildcard = options.segmentWildcard();
        }

        List<Part> parse() {
            while (index < tokens.size()) {
                Token charToken = tryConsume(TokenType.CHAR);
                Token nameToken = tryConsume(TokenType.NAME);
                Token regexpOrWildcard = tryConsumeRegexpOrWildcard(nameToken);
                if (nameToken != null || regexpOrWildcard != null) {
                    String prefix = charToken == null ? "" : charToken.value();
                    if (!prefix.isEmpty() && !prefix.equals(options.prefix())) {
                        pendingFixed.append(prefix);
                        prefix = "";
                    }
                    maybeAddPartFromPendingFixed();
                    Token modifierToken = tryConsumeModifier();
                    addPart(prefix, nameToken, regexpOrWildcard, "", modifierToken);
                    continue;
                }
                Token fixed = charToken != null ? charToken : tryConsume(TokenType.ESCAPED_CHAR);
                if (fixed != null) {
                    pendingFixed.append(fixed.value());
                    continue;
                }
                Token open = tryConsume(TokenType.OPEN);
                if (open != null) {
                    String prefix = consumeText();
                    Token name = tryConsume(TokenType.NAME);
                    Token rw = tryConsumeRegexpOrWildcard(name);
                    String suffix = consumeText();
                    consumeRequired(TokenType.CLOSE);
                    Token modifierToken = tryConsumeModifier();
                    addPart(prefix, name, rw, suffix, modifierToken);
                    continue;
                }
                maybeAddPartFromPendingFixed();
                consumeRequired(TokenType.END);
            }
            return parts;
        }

        private Token tryConsume(TokenType type) {
            Token next = tokens.get(index);
            if (next.type() != type) {
                return null;
            }
            index++;
            return next;
        }

        private Token tryConsumeModifier() {
            Token t = tryConsume(TokenType.OTHER_MODIFIER);
            return t != null ? t : tryConsume(TokenType.ASTERISK);
        }

        private Token tryConsumeRegexpOrWildcard(Token nameToken) {
            Token t = tryConsume(TokenType.REGEXP);
            if (t == null && nameToken == null) {
                t = tryConsume(TokenType.ASTERISK);
            }
            return t;
        }

        private void consumeRequired(TokenType type) {
            if (tryConsume(type) == null) {
                Token at = tokens.get(index);
                throw new InvalidPatternException("unexpected " + describe(at) + " at position " + at.index()
                        + " (expected " + type.name().toLowerCase().replace('_', ' ') + ")");
            }
        }

        private static String describe(Token t) {
            return switch (t.type()) {
                case END -> "end of pattern";
                case NAME -> "':" + t.value() + "'";
                case REGEXP -> "'(" + t.value() + ")'";
                default -> "'" + t.value() + "'";
            };
        }

        private String consumeText() {
            StringBuilder out = new StringBuilder();
            while (true) {
                Token t = tryConsume(TokenType.CHAR);
                if (t == null) {
                    t = tryConsume(TokenType.ESCAPED_CHAR);
                }
                if (t == null) {
                    return out.toString();
                }
                out.append(t.value());
            }
        }

        private void maybeAddPartFromPendingFixed() {
            if (pendingFixed.isEmpty()) {
                return;
            }
            String encoded = callback.encode(pendingFixed.toString());
            pendingFixed.setLength(0);
            parts.add(new Part(PartType.FIXED_TEXT, encoded, Modifier.NONE, "", "", ""));
        }

        private void addPart(String prefix, Token nameToken, Token regexpOrWildcard, String suffix, Token modifierToken) {
            Modifier modifier = Modifier.NONE;
            if (modifierToken != null) {
                modifier = switch (modifierToken.value()) {
                    case "?" -> Modifier.OPTIONAL;
                    case "*" -> Modifier.ZERO_OR_MORE;
                    case "+" -> Modifier.ONE_OR_MORE;
                    default -> Modifier.NONE;
                };
            }
            if (nameToken == null && regexpOrWildcard == null && modifier == Modifier.NONE) {
                pendingFixed.append(prefix);
                return;
            }
            maybeAddPartFromPendingFixed();
            if (nameToken == null && regexpOrWildcard == null) {
                if (prefix.isEmpty()) {
                    return;
                }
                parts.add(new Part(PartType.FIXED_TEXT, callback.encode(prefix), modifier, "", "", ""));
                return;
            }
            String regexpValue;
            if (regexpOrWildcard == null) {
                regexpValue = segmentWildcard;
            } else if (regexpOrWildcard.type() == TokenType.ASTERISK) {
                regexpValue = ".*";
            } else {
                regexpValue = regexpOrWildcard.value();
            }
            PartType type = PartType.REGEXP;
            if (regexpValue.equals(segmentWildcard)) {
                type = PartType.SEGMENT_WILDCARD;
                regexpValue = "";
            } else if (regexpValue.equals(".*")) {
                type = PartType.FULL_WILDCARD;
                regexpValue = "";
            }
            String name;
            if (nameToken != null) {
                name = nameToken.value();
            } else {
                name = Integer.toString(nextNumericName++);
            }
            if (!names.add(name)) {
                throw new InvalidPatternException("duplicate group name '" + name + "'");
            }
            parts.add(new Part(type, regexpValue, modifier, name, callback.encode(prefix), callback.encode(suffix)));
        }
    }

    // ---------------------------------------------------------------------------------------
    // Parts to a regular expression

    private static Component compileComponent(String input, Callback callback, Options options, boolean ignoreCase) {
        List<Part> parts = new PatternParser(input, callback, options).parse();
        StringBuilder regexp = new StringBuilder("^");
        List<String> names = new ArrayList<>();
        for (Part part : parts) {
            if (part.type() == PartType.FIXED_TEXT) {
                if (part.modifier() == Modifier.NONE) {
                    regexp.append(escapeRegexpString(part.value()));
                } else {
                    regexp.append("(?:").append(escapeRegexpString(part.value())).append(')')
                            .append(part.modifier().text());
                }
                continue;
            }
            names.add(part.name());
            String value = switch (part.type()) {
                case SEGMENT_WILDCARD -> options.segmentWildcardForJava();
                case FULL_WILDCARD -> ".*";
                default -> toJavaRegexp(part.value());
            };
            Modifier modifier = part.modifier();
            if (part.prefix().isEmpty() && part.suffix().isEmpty()) {
                if (modifier == Modifier.NONE || modifier == Modifier.OPTIONAL) {
                    regexp.append('(').append(value).append(')').append(modifier.text());
                } else {
                    regexp.append("((?:").append(value).append(')').append(modifier.text()).append(')');
                }
                continue;
            }
            String prefix = escapeRegexpString(part.prefix());
            String suffix = escapeRegexpString(part.suffix());
            if (modifier == Modifier.NONE || modifier == Modifier.OPTIONAL) {
                regexp.append("(?:").append(prefix).append('(').append(value).append(')').append(suffix)
                        .append(')').append(modifier.text());
                continue;
            }
            regexp.append("(?:").append(prefix).append("((?:").append(value).append(")(?:").append(suffix)
                    .append(prefix).append("(?:").append(value).append("))*)").append(suffix).append(')');
            if (modifier == Modifier.ZERO_OR_MORE) {
                regexp.append('?');
            }
        }
        regexp.append('$');
        try {
            int flags = ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0;
            return new Component(Pattern.compile(regexp.toString(), flags), List.copyOf(names));
        } catch (PatternSyntaxException invalid) {
            throw new InvalidPatternException("not a valid regular expression in '" + input + "': "
                    + invalid.getDescription());
        }
    }

    /**
     * Translates what a custom group may say in ECMAScript's {@code v} mode but Java spells
     * differently. Today that is class subtraction: {@code [A--B]} (A without B) becomes Java's
     * {@code [A&&[^B]]}. Left as it is, Java would read {@code --B} as two hyphens and B, a
     * union, so the pattern would match more than its author allowed; in a token's topic
     * matchers that would widen a grant, hence the translation rather than a best effort.
     */
    static String toJavaRegexp(String regexp) {
        if (!regexp.contains("--")) {
            return regexp;
        }
        StringBuilder out = new StringBuilder(regexp.length() + 8);
        int depth = 0;
        int i = 0;
        int n = regexp.length();
        while (i < n) {
            char ch = regexp.charAt(i);
            if (ch == '\\' && i + 1 < n) {
                out.append(ch).append(regexp.charAt(i + 1));
                i += 2;
                continue;
            }
            if (ch == '[') {
                depth++;
            } else if (ch == ']' && depth > 0) {
                depth--;
            } else if (depth > 0 && ch == '-' && i + 2 < n && regexp.charAt(i + 1) == '-') {
                int operandEnd = classOperandEnd(regexp, i + 2);
                String operand = regexp.substring(i + 2, operandEnd);
                if (operand.startsWith("[")) {
                    operand = operand.substring(1, operand.length() - 1);
                }
                out.append("&&[^").append(operand).append(']');
                i = operandEnd;
                continue;
            }
            out.append(ch);
            i++;
        }
        return out.toString();
    }

    /** The end (exclusive) of one class-set operand starting at {@code from}: a nested class or one character. */
    private static int classOperandEnd(String regexp, int from) {
        if (regexp.charAt(from) == '[') {
            int depth = 0;
            for (int i = from; i < regexp.length(); i++) {
                char ch = regexp.charAt(i);
                if (ch == '\\') {
                    i++;
                } else if (ch == '[') {
                    depth++;
                } else if (ch == ']' && --depth == 0) {
                    return i + 1;
                }
            }
            return regexp.length();
        }
        return regexp.charAt(from) == '\\' ? Math.min(from + 2, regexp.length()) : from + 1;
    }

    // ---------------------------------------------------------------------------------------
    // Constructor string parser: "https://*.example.com/books/:id?x#y" to components

    private static final class ConstructorStringParser {
        private enum State { INIT, PROTOCOL, AUTHORITY, USERNAME, PASSWORD, HOSTNAME, PORT, PATHNAME, SEARCH, HASH, DONE }

        private final String input;
        private final List<Token> tokens;
        private final Map<String, String> result = new LinkedHashMap<>();
        private int componentStart;
        private int tokenIndex;
        private int tokenIncrement = 1;
        private int groupDepth;
        private int ipv6Depth;
        private boolean protocolMatchesSpecialScheme;
        private State state = State.INIT;

        ConstructorStringParser(String input) {
            this.input = input;
            this.tokens = tokenize(input, false);
        }

        Map<String, String> parse() {
            while (tokenIndex < tokens.size()) {
                tokenIncrement = 1;
                if (tokens.get(tokenIndex).type() == TokenType.END) {
                    if (state == State.INIT) {
                        rewind();
                        if (isHashPrefix()) {
                            changeState(State.HASH, 1);
                        } else if (isSearchPrefix()) {
                            changeState(State.SEARCH, 1);
                        } else {
                            changeState(State.PATHNAME, 0);
                        }
                        tokenIndex += tokenIncrement;
                        continue;
                    }
                    if (state == State.AUTHORITY) {
                        rewind();
                        state = State.HOSTNAME;
                        tokenIndex += tokenIncrement;
                        continue;
                    }
                    changeState(State.DONE, 0);
                    break;
                }
                if (isGroupOpen()) {
                    groupDepth++;
                    tokenIndex += tokenIncrement;
                    continue;
                }
                if (groupDepth > 0) {
                    if (isGroupClose()) {
                        groupDepth--;
                    } else {
                        tokenIndex += tokenIncrement;
                        continue;
                    }
                }
                switch (state) {
                    case INIT -> {
                        if (isNonSpecialPatternChar(tokenIndex, ":")) {
                            rewind();
                            state = State.PROTOCOL;
                        }
                    }
                    case PROTOCOL -> {
                        if (isNonSpecialPatternChar(tokenIndex, ":")) {
                            computeProtocolMatchesSpecialScheme();
                            State next = State.PATHNAME;
                            int skip = 1;
                            if (isNonSpecialPatternChar(tokenIndex + 1, "/")
                                    && isNonSpecialPatternChar(tokenIndex + 2, "/")) {
                                next = State.AUTHORITY;
                                skip = 3;
                            } else if (protocolMatchesSpecialScheme) {
                                next = State.AUTHORITY;
                            }
                            changeState(next, skip);
                        }
                    }
                    case AUTHORITY -> {
                        if (isNonSpecialPatternChar(tokenIndex, "@")) {
                            rewind();
                            state = State.USERNAME;
                        } else if (isNonSpecialPatternChar(tokenIndex, "/") || isSearchPrefix() || isHashPrefix()) {
                            rewind();
                            state = State.HOSTNAME;
                        }
                    }
                    case USERNAME -> {
                        if (isNonSpecialPatternChar(tokenIndex, ":")) {
                            changeState(State.PASSWORD, 1);
                        } else if (isNonSpecialPatternChar(tokenIndex, "@")) {
                            changeState(State.HOSTNAME, 1);
                        }
                    }
                    case PASSWORD -> {
                        if (isNonSpecialPatternChar(tokenIndex, "@")) {
                            changeState(State.HOSTNAME, 1);
                        }
                    }
                    case HOSTNAME -> {
                        if (isNonSpecialPatternChar(tokenIndex, "[")) {
                            ipv6Depth++;
                        } else if (isNonSpecialPatternChar(tokenIndex, "]")) {
                            ipv6Depth--;
                        } else if (isNonSpecialPatternChar(tokenIndex, ":") && ipv6Depth == 0) {
                            changeState(State.PORT, 1);
                        } else if (isNonSpecialPatternChar(tokenIndex, "/")) {
                            changeState(State.PATHNAME, 0);
                        } else if (isSearchPrefix()) {
                            changeState(State.SEARCH, 1);
                        } else if (isHashPrefix()) {
                            changeState(State.HASH, 1);
                        }
                    }
                    case PORT -> {
                        if (isNonSpecialPatternChar(tokenIndex, "/")) {
                            changeState(State.PATHNAME, 0);
                        } else if (isSearchPrefix()) {
                            changeState(State.SEARCH, 1);
                        } else if (isHashPrefix()) {
                            changeState(State.HASH, 1);
                        }
                    }
                    case PATHNAME -> {
                        if (isSearchPrefix()) {
                            changeState(State.SEARCH, 1);
                        } else if (isHashPrefix()) {
                            changeState(State.HASH, 1);
                        }
                    }
                    case SEARCH -> {
                        if (isHashPrefix()) {
                            changeState(State.HASH, 1);
                        }
                    }
                    case HASH, DONE -> { }
                }
                tokenIndex += tokenIncrement;
            }
            if (result.containsKey("hostname") && !result.containsKey("port")) {
                result.put("port", "");
            }
            return result;
        }

        private static String key(State s) {
            return s.name().toLowerCase();
        }

        private void changeState(State newState, int skip) {
            if (state != State.INIT && state != State.AUTHORITY && state != State.DONE) {
                result.put(key(state), makeComponentString());
            }
            if (state != State.INIT && newState != State.DONE) {
                boolean beforeHost = state == State.PROTOCOL || state == State.AUTHORITY
                        || state == State.USERNAME || state == State.PASSWORD;
                if (beforeHost && (newState == State.PORT || newState == State.PATHNAME
                        || newState == State.SEARCH || newState == State.HASH)
                        && !result.containsKey("hostname")) {
                    result.put("hostname", "");
                }
                boolean beforePath = beforeHost || state == State.HOSTNAME || state == State.PORT;
                if (beforePath && (newState == State.SEARCH || newState == State.HASH)
                        && !result.containsKey("pathname")) {
                    result.put("pathname", protocolMatchesSpecialScheme ? "/" : "");
                }
                boolean beforeSearch = beforePath || state == State.PATHNAME;
                if (beforeSearch && newState == State.HASH && !result.containsKey("search")) {
                    result.put("search", "");
                }
            }
            state = newState;
            tokenIndex += skip;
            componentStart = tokenIndex;
            tokenIncrement = 0;
        }

        private void rewind() {
            tokenIndex = componentStart;
            tokenIncrement = 0;
        }

        private Token safeToken(int i) {
            return i < tokens.size() ? tokens.get(i) : tokens.get(tokens.size() - 1);
        }

        private boolean isNonSpecialPatternChar(int i, String value) {
            Token t = safeToken(i);
            if (!t.value().equals(value)) {
                return false;
            }
            return t.type() == TokenType.CHAR || t.type() == TokenType.ESCAPED_CHAR
                    || t.type() == TokenType.INVALID_CHAR;
        }

        private boolean isSearchPrefix() {
            if (isNonSpecialPatternChar(tokenIndex, "?")) {
                return true;
            }
            if (!tokens.get(tokenIndex).value().equals("?")) {
                return false;
            }
            int previous = tokenIndex - 1;
            if (previous < 0) {
                return true;
            }
            TokenType type = safeToken(previous).type();
            return type != TokenType.NAME && type != TokenType.REGEXP && type != TokenType.CLOSE
                    && type != TokenType.ASTERISK;
        }

        private boolean isHashPrefix() {
            return isNonSpecialPatternChar(tokenIndex, "#");
        }

        private boolean isGroupOpen() {
            return tokens.get(tokenIndex).type() == TokenType.OPEN;
        }

        private boolean isGroupClose() {
            return tokens.get(tokenIndex).type() == TokenType.CLOSE;
        }

        private String makeComponentString() {
            Token token = tokens.get(tokenIndex);
            int start = safeToken(componentStart).index();
            return input.substring(start, token.index());
        }

        private void computeProtocolMatchesSpecialScheme() {
            String protocol = makeComponentString();
            Component component = compileComponent(protocol, Callback.PROTOCOL, Options.DEFAULT, false);
            protocolMatchesSpecialScheme = matchesSpecialScheme(component);
        }
    }
}
