package dev.sluice.topic;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An RFC 6570 URI Template used the other way round: instead of expanding it with variable
 * values, decide whether a concrete URI could be one of its expansions. Mercure uses this for
 * topic selectors such as {@code https://example.com/books/{id}}.
 *
 * <h2>What it promises</h2>
 * <ul>
 *   <li>{@link #compile} accepts the RFC 6570 level 1–4 expression syntax and rejects anything
 *       else with an {@link IllegalArgumentException} naming the problem and its 0-based offset.
 *   <li>{@link #matches} is true when some assignment of values to the template's variables
 *       (each a string, a list, an associative array, or undefined) expands to the whole
 *       {@code uri}, with the deliberate exceptions listed below.
 *   <li>The template is translated once into a single {@link Pattern}; an instance is immutable
 *       and safe to share between threads.
 * </ul>
 *
 * <h2>Translation</h2>
 * Literal text is matched verbatim ({@link Pattern#quote}), so {@code .}, {@code ?} and other
 * regex metacharacters in a topic are plain characters. Each expression becomes a regex built
 * from the operator table of RFC 6570 appendix A, where {@code U} stands for unreserved
 * characters and percent-encoded triplets, and {@code U+R} for {@code U} plus the reserved set:
 *
 * <pre>{@code
 * expression  first  sep  value chars  named, empty value  example match
 * {x}         ""     ","  U            no                  a,b
 * {+x}        ""     ","  U+R          no                  /a/b?c
 * {#x}        "#"    ","  U+R          no                  #a/b
 * {.x}        "."    "."  U            no                  .a
 * {/x}        "/"    "/"  U            no                  /a
 * {;x}        ";"    ";"  U            yes, ";x"           ;x=a
 * {?x}        "?"    "&"  U            yes, "?x="          ?x=a
 * {&x}        "&"    "&"  U            yes, "&x="          &x=a
 * }</pre>
 *
 * <ul>
 *   <li>A plain variable matches a run of value characters and commas (a list or an associative
 *       array is joined with commas); for named operators the run follows {@code name=}.
 *   <li>{@code {x:n}} is a string of at most {@code n} characters, a percent-encoded triplet
 *       counting as one, since RFC 6570 counts characters before encoding them.
 *   <li>{@code {x*}} also allows the separator and {@code =} in its run: an exploded list repeats
 *       the separator, an exploded associative array adds {@code key=value} pairs.
 *   <li>Every variable may be undefined and then contributes nothing, not even its separator, so
 *       each is optional; the first defined one is introduced by {@code first}, later ones by
 *       {@code sep}. Hence {@code https://e.com/{id}} matches {@code https://e.com/} and
 *       {@code {?x}} matches the empty string: that is what expansion produces for an empty or
 *       undefined value.
 *   <li>When a variable's value can itself contain the separator (a plain variable in
 *       {@code {x}}, {@code {+x}}, {@code {#x}} or {@code {.x}}, or any exploded variable), that
 *       variable alone can produce whatever the others could, so the whole expression becomes
 *       {@code first} followed by one run of all the characters involved. Otherwise the variables
 *       are matched in template order, each optional; query parameters must therefore appear in
 *       the order of the template, as they would in an expansion.
 * </ul>
 *
 * <h2>Deliberately loose or unsupported</h2>
 * <ul>
 *   <li>Exploded values are matched loosely: a regex cannot tell an exploded list
 *       ({@code ?list=a&list=b}) from an exploded associative array ({@code ?a=1&b=2}), so any key
 *       is accepted, keys are held to the value characters although RFC 6570 passes reserved
 *       characters in keys through, and {@code =} may appear anywhere in the run. An expression
 *       collapsed by an exploded variable is loose in the same way.
 *   <li>A variable used twice need not take the same value both times.
 *   <li>Values are compared in encoded form: {@code %2F} is not {@code /}, hex digits may be in
 *       either case, and raw non-ASCII characters (an IRI rather than a URI) never match a
 *       variable; publishers should percent-encode them. Literal text is compared exactly.
 *   <li>A {@code %} anywhere in a matched URI must start a valid triplet, which is why a literal
 *       {@code %} in the template must be one as well. Other characters that the RFC grammar
 *       excludes from literals (space, quotes, ...) are tolerated and matched verbatim.
 * </ul>
 *
 * <h2>Cost</h2>
 * Value runs are single character classes, which {@link Pattern} scans and backtracks
 * iteratively, and they are possessive wherever the next character of the template cannot
 * continue them, so ordinary selectors match in linear time and long topics do not exhaust the
 * stack. What backtracking cannot avoid grows with the template instead: variables that can
 * consume the same characters as what follows them ({@code {+a}/{+b}/{+c}x}: about 1.5 s on a
 * 1,000-character topic) backtrack polynomially, many prefix-modified variables of differing
 * lengths in one positional expression ({@code {/a:1,b:2,c:1,...}}) exponentially (about 0.1 s
 * at 20 of them), and a prefix modifier followed by another variable recurses once per matched
 * character. Whoever compiles templates from untrusted clients should bound template and topic
 * length.
 */
public final class UriTemplate {

    /** Hex digits of a percent-encoded triplet, in regex form. */
    private static final String TRIPLET = "%[0-9A-Fa-f]{2}";

    /**
     * Rejects a URI containing a {@code %} that does not start a triplet. Checking the whole URI
     * once lets every value be a single character class including {@code %}, instead of a
     * {@code (char|triplet)*} group that Pattern would match recursively, one stack frame per
     * character. It is only equivalent because the parser rejects malformed triplets in literals.
     */
    private static final String WELL_FORMED_PERCENT = "(?![^%]*+(?:" + TRIPLET + "[^%]*+)*+%)";

    private static final Chars UNRESERVED = Chars.of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%");
    private static final Chars UNRESERVED_AND_RESERVED = UNRESERVED.union(Chars.of(":/?#[]@!$&'()*+,;="));

    private final String source;
    private final Pattern pattern;

    private UriTemplate(String source, Pattern pattern) {
        this.source = source;
        this.pattern = pattern;
    }

    /**
     * Parses {@code template} and translates it into its matching pattern.
     *
     * @throws IllegalArgumentException if {@code template} is not a valid RFC 6570 template
     */
    public static UriTemplate compile(String template) {
        Objects.requireNonNull(template, "template");
        List<Token> tokens = new Parser(template).parse();
        return new UriTemplate(template, Pattern.compile(Translator.translate(tokens)));
    }

    /** True when the whole of {@code uri} is a possible expansion of this template. */
    public boolean matches(String uri) {
        return pattern.matcher(uri).matches();
    }

    /** The template exactly as given to {@link #compile}. */
    public String source() {
        return source;
    }

    /**
     * True when {@code s} contains a '{' followed later by a '}', i.e. is meant as a template
     * rather than a plain topic. It does not validate: {@code {}} counts, so that a malformed
     * selector is reported by {@link #compile} instead of silently matching only itself.
     */
    public static boolean isTemplate(String s) {
        int open = s.indexOf('{');
        return open >= 0 && s.indexOf('}', open + 1) > open;
    }

    /** The regex the template was translated to; for diagnostics and tests. */
    String regex() {
        return pattern.pattern();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UriTemplate other && source.equals(other.source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    @Override
    public String toString() {
        return source;
    }

    // ---------------------------------------------------------------------------------------
    // Syntax tree

    private sealed interface Token permits Literal, Expression {}

    private record Literal(String text) implements Token {}

    private record Expression(Operator op, List<VarSpec> vars) implements Token {}

    /** {@code prefix} is 0 when there is no prefix modifier. */
    private record VarSpec(String name, int prefix, boolean explode) {}

    private enum Operator {
        SIMPLE("", ',', false, false, UNRESERVED),
        RESERVED("", ',', false, false, UNRESERVED_AND_RESERVED),
        FRAGMENT("#", ',', false, false, UNRESERVED_AND_RESERVED),
        LABEL(".", '.', false, false, UNRESERVED),
        PATH("/", '/', false, false, UNRESERVED),
        PATH_PARAM(";", ';', true, false, UNRESERVED),
        QUERY("?", '&', true, true, UNRESERVED),
        QUERY_CONTINUATION("&", '&', true, true, UNRESERVED);

        final String first;
        final char sep;
        final boolean named;
        /** Whether an empty named value still gets {@code =} ({@code ?x=}) or not ({@code ;x}). */
        final boolean equalsWhenEmpty;
        final Chars allowed;

        Operator(String first, char sep, boolean named, boolean equalsWhenEmpty, Chars allowed) {
            this.first = first;
            this.sep = sep;
            this.named = named;
            this.equalsWhenEmpty = equalsWhenEmpty;
            this.allowed = allowed;
        }

        static Operator of(char c) {
            return switch (c) {
                case '+' -> RESERVED;
                case '#' -> FRAGMENT;
                case '.' -> LABEL;
                case '/' -> PATH;
                case ';' -> PATH_PARAM;
                case '?' -> QUERY;
                case '&' -> QUERY_CONTINUATION;
                default -> null;
            };
        }
    }

    // ---------------------------------------------------------------------------------------
    // Parsing

    private static final class Parser {
        private static final int MAX_PREFIX_DIGITS = 4;

        private final String t;

        Parser(String template) {
            this.t = template;
        }

        List<Token> parse() {
            List<Token> tokens = new ArrayList<>();
            StringBuilder literal = new StringBuilder();
            int i = 0;
            while (i < t.length()) {
                char c = t.charAt(i);
                if (c == '{') {
                    int close = closingBrace(i);
                    if (!literal.isEmpty()) {
                        tokens.add(new Literal(literal.toString()));
                        literal.setLength(0);
                    }
                    tokens.add(expression(i, close));
                    i = close + 1;
                } else if (c == '}') {
                    throw error("'}' without a matching '{'", i);
                } else if (c == '%') {
                    if (!isTriplet(i, t.length())) {
                        throw error("'%' not followed by two hex digits", i);
                    }
                    literal.append(t, i, i + 3);
                    i += 3;
                } else {
                    literal.append(c);
                    i++;
                }
            }
            if (!literal.isEmpty()) {
                tokens.add(new Literal(literal.toString()));
            }
            return tokens;
        }

        private int closingBrace(int open) {
            for (int i = open + 1; i < t.length(); i++) {
                char c = t.charAt(i);
                if (c == '}') {
                    return i;
                }
                if (c == '{') {
                    break;
                }
            }
            throw error("unclosed '{'", open);
        }

        private Expression expression(int open, int close) {
            int i = open + 1;
            if (i == close) {
                throw error("empty expression '{}'", open);
            }
            char c = t.charAt(i);
            Operator op = Operator.of(c);
            if (op != null) {
                i++;
            } else if ("=,!@|".indexOf(c) >= 0) {
                throw error("operator '" + c + "' is reserved by RFC 6570 and not supported", i);
            } else {
                op = Operator.SIMPLE;
            }
            List<VarSpec> vars = new ArrayList<>();
            while (true) {
                i = varSpec(i, close, vars);
                if (i == close) {
                    return new Expression(op, List.copyOf(vars));
                }
                i++; // the ',' between varspecs
            }
        }

        /** Parses one varspec starting at {@code start}; returns the offset of the ',' or '}' after it. */
        private int varSpec(int start, int close, List<VarSpec> out) {
            int i = start;
            boolean afterDot = false;
            while (i < close) {
                char c = t.charAt(i);
                if (c == '%') {
                    if (!isTriplet(i, close)) {
                        throw error("'%' in a variable name not followed by two hex digits", i);
                    }
                    i += 3;
                } else if (isVarChar(c)) {
                    i++;
                } else if (c == '.' && i > start && !afterDot) {
                    afterDot = true;
                    i++;
                    continue;
                } else {
                    break;
                }
                afterDot = false;
            }
            if (i == start) {
                if (i == close || ",:*".indexOf(t.charAt(i)) >= 0) {
                    throw error("missing variable name", i);
                }
                throw error("invalid character " + show(t.charAt(i)) + " in variable name", i);
            }
            if (afterDot) {
                throw error("'.' in a variable name must be followed by a letter, digit, '_' or '%'", i - 1);
            }
            String name = t.substring(start, i);

            int prefix = 0;
            boolean explode = false;
            if (i < close && t.charAt(i) == '*') {
                explode = true;
                i++;
            } else if (i < close && t.charAt(i) == ':') {
                int digits = ++i;
                while (i < close && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
                    i++;
                }
                if (i == digits) {
                    throw error("':' must be followed by a prefix length", digits);
                }
                if (t.charAt(digits) == '0' || i - digits > MAX_PREFIX_DIGITS) {
                    throw error("prefix length " + t.substring(digits, i)
                            + " is not between 1 and 9999 (without leading zeros)", digits);
                }
                prefix = Integer.parseInt(t, digits, i, 10);
            }
            if (i < close && t.charAt(i) != ',') {
                char c = t.charAt(i);
                boolean modified = explode || prefix > 0;
                if (modified && (c == '*' || c == ':')) {
                    throw error("a variable takes only one modifier, ':n' or '*'", i);
                }
                throw error(modified
                        ? "unexpected character " + show(c) + " after modifier"
                        : "invalid character " + show(c) + " in variable name", i);
            }
            out.add(new VarSpec(name, prefix, explode));
            return i;
        }

        private boolean isTriplet(int i, int end) {
            return i + 2 < end && isHex(t.charAt(i + 1)) && isHex(t.charAt(i + 2));
        }

        private static boolean isHex(char c) {
            return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
        }

        private static boolean isVarChar(char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }

        private static String show(char c) {
            return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
        }

        private IllegalArgumentException error(String problem, int offset) {
            return new IllegalArgumentException(
                    "Invalid URI template \"" + t + "\": " + problem + " at offset " + offset);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Translation to a regex

    private static final class Translator {
        /** What may follow an expression: nothing, a literal's first character, or unknown. */
        private static final int END = -1;
        private static final int UNKNOWN = -2;

        private final StringBuilder re = new StringBuilder();

        static String translate(List<Token> tokens) {
            Translator tr = new Translator();
            if (tokens.stream().anyMatch(Expression.class::isInstance)) {
                tr.re.append(WELL_FORMED_PERCENT);
            }
            for (int i = 0; i < tokens.size(); i++) {
                Token next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
                int follower = switch (next) {
                    case null -> END;
                    case Literal l -> l.text().charAt(0);
                    // an expression may be empty, so what comes after it is anyone's guess
                    case Expression e -> UNKNOWN;
                };
                switch (tokens.get(i)) {
                    case Literal l -> tr.re.append(Pattern.quote(l.text()));
                    case Expression e -> tr.expression(e, follower);
                }
            }
            return tr.re.toString();
        }

        /**
         * A run of value characters can be possessive, never giving characters back, when the
         * character after it can never be one of them: giving some back could not help then.
         */
        private static boolean possessive(Chars run, int follower) {
            return follower == END || (follower >= 0 && !run.contains(follower));
        }

        private void expression(Expression e, int follower) {
            Operator op = e.op();
            if (e.vars().stream().anyMatch(v -> absorbsSeparator(op, v))) {
                collapsed(e, follower);
                return;
            }
            List<String> parts = e.vars().stream().map(v -> part(op, v, follower)).toList();
            List<String> runParts = new ArrayList<>();
            List<Integer> runCounts = new ArrayList<>();
            for (String part : parts) {
                int last = runParts.size() - 1;
                // identical neighbours become one counted group: linear rather than
                // combinatorial backtracking over which of them took a given segment
                if (last >= 0 && runParts.get(last).equals(part)) {
                    runCounts.set(last, runCounts.get(last) + 1);
                } else {
                    runParts.add(part);
                    runCounts.add(1);
                }
            }
            String sep = escape(op.sep);
            if (op.first.equals(String.valueOf(op.sep))) {
                for (int r = 0; r < runParts.size(); r++) {
                    re.append("(?:").append(sep).append(runParts.get(r)).append(')').append(upTo(runCounts.get(r)));
                }
                return;
            }
            // first != sep: alternatives by which variable is the first defined one
            re.append("(?:").append(escape(op.first)).append("(?:");
            for (int r = 0; r < runParts.size(); r++) {
                if (r > 0) {
                    re.append('|');
                }
                re.append(runParts.get(r));
                if (runCounts.get(r) > 1) {
                    re.append("(?:").append(sep).append(runParts.get(r)).append(')').append(upTo(runCounts.get(r) - 1));
                }
                for (int s = r + 1; s < runParts.size(); s++) {
                    re.append("(?:").append(sep).append(runParts.get(s)).append(')').append(upTo(runCounts.get(s)));
                }
            }
            re.append("))?");
        }

        /** True when one value of {@code v} can contain {@code op}'s separator, unboundedly. */
        private static boolean absorbsSeparator(Operator op, VarSpec v) {
            return v.explode() || (v.prefix() == 0 && !op.named && plainChars(op).contains(op.sep));
        }

        private void collapsed(Expression e, int follower) {
            Operator op = e.op();
            Chars run = Chars.of(String.valueOf(op.sep));
            for (VarSpec v : e.vars()) {
                run = run.union(valueChars(op, v));
                if (op.named) {
                    run = run.union(Chars.of("="));  // name chars are a subset of the value chars
                }
            }
            String body = run.regexClass() + (possessive(run, follower) ? "*+" : "*");
            if (op.named) {
                // every item starts with a name or key
                body = op.allowed.regexClass() + body;
            }
            if (op.first.isEmpty()) {
                re.append(body);
            } else {
                re.append("(?:").append(escape(op.first)).append(body).append(")?");
            }
        }

        private static Chars plainChars(Operator op) {
            return op.allowed.union(Chars.of(","));
        }

        private static Chars valueChars(Operator op, VarSpec v) {
            if (v.explode()) {
                return op.allowed.union(Chars.of("=" + op.sep));
            }
            return v.prefix() > 0 ? op.allowed : plainChars(op);
        }

        /** The regex for one non-absorbing variable, without its leading first/sep. */
        private static String part(Operator op, VarSpec v, int follower) {
            Chars chars = valueChars(op, v);
            boolean possessive = !chars.contains(op.sep) && possessive(chars, follower);
            if (!op.named) {
                return value(op, v, 0, possessive);
            }
            String name = escape(v.name());
            if (op.equalsWhenEmpty) {
                return name + '=' + value(op, v, 0, possessive);
            }
            // {;x}: an empty value leaves just the name, so '=' always has something after it
            // when the value is a string; a list such as [""] still gives "x=", hence min 0
            return name + "(?:=" + value(op, v, v.prefix() > 0 ? 1 : 0, possessive) + ")?";
        }

        private static String value(Operator op, VarSpec v, int min, boolean possessive) {
            if (v.prefix() == 0) {
                return valueChars(op, v).regexClass() + (possessive ? "*+" : "*");
            }
            // counting characters needs the triplet as one unit, so here a group is unavoidable
            String unit = "(?:" + op.allowed.without('%').regexClass() + '|' + TRIPLET + ')';
            return unit + '{' + min + ',' + v.prefix() + '}' + (possessive ? "+" : "");
        }

        private static String upTo(int count) {
            return count == 1 ? "?" : "{0," + count + "}";
        }
    }

    /** Backslash-escapes everything but letters and digits, which is always a literal in a regex. */
    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() * 2);
        for (int i = 0; i < s.length(); i++) {
            appendEscaped(out, s.charAt(i));
        }
        return out.toString();
    }

    private static String escape(char c) {
        return escape(String.valueOf(c));
    }

    private static void appendEscaped(StringBuilder out, char c) {
        if (!Character.isLetterOrDigit(c)) {
            out.append('\\');
        }
        out.append(c);
    }

    /** An immutable set of ASCII characters, rendered as a regex character class. */
    private static final class Chars {
        private final long low;
        private final long high;

        private Chars(long low, long high) {
            this.low = low;
            this.high = high;
        }

        static Chars of(String chars) {
            long low = 0;
            long high = 0;
            for (int i = 0; i < chars.length(); i++) {
                char c = chars.charAt(i);
                if (c >= 128) {
                    throw new IllegalArgumentException("not ASCII: " + c);
                }
                if (c < 64) {
                    low |= 1L << c;
                } else {
                    high |= 1L << (c - 64);
                }
            }
            return new Chars(low, high);
        }

        Chars union(Chars other) {
            return new Chars(low | other.low, high | other.high);
        }

        Chars without(char c) {
            return c < 64 ? new Chars(low & ~(1L << c), high) : new Chars(low, high & ~(1L << (c - 64)));
        }

        boolean contains(int c) {
            if (c < 0 || c >= 128) {
                return false;
            }
            return c < 64 ? (low & (1L << c)) != 0 : (high & (1L << (c - 64))) != 0;
        }

        String regexClass() {
            StringBuilder out = new StringBuilder("[");
            int c = 0;
            while (c < 128) {
                if (!contains(c)) {
                    c++;
                    continue;
                }
                int end = c;
                while (end + 1 < 128 && contains(end + 1) && Character.isLetterOrDigit(end + 1)) {
                    end++;
                }
                if (Character.isLetterOrDigit(c) && end - c >= 2) {
                    out.append((char) c).append('-').append((char) end);
                    c = end + 1;
                } else {
                    appendEscaped(out, (char) c);
                    c++;
                }
            }
            return out.append(']').toString();
        }
    }
}
