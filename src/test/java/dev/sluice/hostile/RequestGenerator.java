package dev.sluice.hostile;

import static dev.sluice.hostile.RawTokens.b64;
import static dev.sluice.hostile.RawTokens.signedJson;

import dev.sluice.support.TestHub;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random and mutated HTTP requests from a seed: the same seed gives the same bytes. Most start
 * as a valid subscribe, publish, health, metrics or preflight request (with a token drawn from a
 * pool of valid ones, valid ones with the wrong claims, expired, unsigned and broken ones), then
 * some are mutated: bytes flipped, cut short, headers repeated, values made huge, CR/LF/NUL and
 * broken escapes inserted, method, version or framing changed. Some are random bytes outright.
 *
 * <p>Nothing it makes contains {@link #SECRET_MARK}: only the untouched private publishes of the
 * test carry it, so a watcher that sees it knows the update is one of those.
 */
final class RequestGenerator {

    static final String SECRET_MARK = "SECRET-";
    static final String HUB = "/.well-known/mercure";
    static final String[] OWNERS = {"alice", "bob", "carol"};

    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT",
        "BREW", "get", "P0ST", "GET\u0000", "\u00ffGET", "M-SEARCH", "PRI"};
    private static final String[] VERSIONS = {"HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/3", "HTTP/1.1 ", "HTTP/1.",
        "http/1.1", "HTTP/11", "HTTP/1.1\u0000", "ICY"};
    private static final String[] PATHS = {"/healthz", "/readyz", "/metrics", HUB, HUB + "/subscriptions", "/", "*",
        "/%2e%2e/", "//", "/.well-known/mercure/", "http://example.com/.well-known/mercure", "/nope?x=%zz",
        "/\u00e9", "/a%00b"};
    private static final String[] INSERTS = {"\r", "\n", "\r\n", "\u0000", "\r\n\r\n", " ", "\t", "%", "%zz", "%C0%80",
        "%FF", "\u00ff", "\u00c3(", "%0D%0A", "%00", "&", "=", ";", ":", "\r\n ", "\u0080", "{", "}", "*"};

    private final SplittableRandom random;
    private final List<String> tokens = new ArrayList<>();
    private final List<String> subscriberTokens = new ArrayList<>();

    RequestGenerator(long seed) {
        random = new SplittableRandom(seed);
        String all = TestHub.publisher();
        tokens.add(all);
        tokens.add(all);
        tokens.add(all);
        tokens.add(TestHub.token(List.of("https://example.com/public/{n}"), List.of()));
        tokens.add(TestHub.token(List.of("https://example.com/other/{x}"), List.of("*")));
        tokens.add(TestHub.subscriber("*"));
        tokens.add(signedJson("{\"exp\":1,\"mercure\":{\"publish\":[\"*\"]}}"));
        tokens.add(signedJson("{\"nbf\":1e300,\"mercure\":{\"publish\":[\"*\"]}}"));
        tokens.add(signedJson("{\"exp\":\"never\",\"mercure\":{\"publish\":[\"*\"]}}"));
        tokens.add(signedJson("{\"mercure\":{\"publish\":\"*\",\"subscribe\":\"*\"}}"));
        tokens.add(signedJson("{\"mercure\":{\"publish\":7,\"subscribe\":{\"*\":1}}}"));
        tokens.add(signedJson("{\"mercure\":[\"*\"]}"));
        tokens.add(signedJson("[]"));
        tokens.add(signedJson("{\"alg\":\"none\"}", "{\"mercure\":{\"publish\":[\"*\"]}}"));
        tokens.add(b64("{\"alg\":\"none\"}") + "." + b64("{\"mercure\":{\"publish\":[\"*\"],\"subscribe\":[\"*\"]}}") + ".");
        tokens.add(signedJson("{\"alg\":\"HS512\"}", "{\"mercure\":{\"publish\":[\"*\"]}}"));
        tokens.add(signedJson("{\"mercure\":{\"publish\":[\"*\"],\"payload\":\"" + "p".repeat(3000) + "\"}}"));
        tokens.add(all.substring(0, all.length() - 5));
        tokens.add(all.substring(0, all.lastIndexOf('.')));
        tokens.add("a.b.c");
        tokens.add("!!!.???.***");
        for (String owner : OWNERS) {
            subscriberTokens.add(TestHub.subscriber("https://example.com/private/" + owner + "/{n}"));
            subscriberTokens.add(dev.sluice.mercure.AccessTokens.subscriber("https://example.com/private/" + owner + "/:n"));
        }
        // Mercure 1.0 access tokens: a publisher, a narrow one, and broken authorization details.
        tokens.add(dev.sluice.mercure.AccessTokens.publisher());
        tokens.add(dev.sluice.mercure.AccessTokens.subscriber("https://example.com/public/:n"));
        tokens.add(signedJson("{\"typ\":\"at+jwt\"}", "{\"iss\":\"x\",\"aud\":\"" + dev.sluice.mercure.AccessTokens.HUB_URL
                + "\",\"exp\":9999999999,\"authorization_details\":[{\"type\":\"https://mercure.rocks/authorization-detail\","
                + "\"actions\":[\"publish\"],\"topics\":[{\"match\":\"https://x/(\",\"match_type\":\"urlpattern\"}]}]}"));
        tokens.add(signedJson("{\"typ\":\"at+jwt\"}", "{\"iss\":\"x\",\"aud\":\"" + dev.sluice.mercure.AccessTokens.HUB_URL
                + "\",\"exp\":9999999999,\"authorization_details\":{\"actions\":7}}"));
        tokens.add(signedJson("{\"typ\":\"at+jwt\"}", "{\"mercure\":{\"publish\":[\"*\"]}}"));
        subscriberTokens.add(TestHub.subscriber("*"));
        subscriberTokens.add(signedJson("{\"exp\":1,\"mercure\":{\"subscribe\":[\"*\"]}}"));
        subscriberTokens.add(signedJson("{\"mercure\":{\"subscribe\":\"*\"}}"));
        subscriberTokens.add("x.y");
    }

    /**
     * A request that is well-formed HTTP and leaves the connection open for the next one (its
     * answer may be any 4xx: the token, the fields, the method or the path may be wrong).
     */
    byte[] wellFormed() {
        int kind = random.nextInt(100);
        if (kind < 70) {
            return publish();
        } else if (kind < 85) {
            return simple(pick("GET", "GET", "GET", "OPTIONS", "POST", "DELETE"), pick("/healthz", "/readyz",
                    "/healthz", HUB + "?topic=", "/metrics", "/nope", "/.well-known/mercure/"));
        } else if (kind < 92) {
            return preflight();
        }
        return simple(pick("GET", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "BREW", "get"), pick(PATHS));
    }

    /**
     * A request that may end its connection or keep it busy, so it goes last on one: a
     * subscription (the connection becomes a stream), a mutated request (3 in 5 of these) or
     * random bytes.
     */
    byte[] last() {
        int kind = random.nextInt(100);
        if (kind < 15) {
            return randomBytes();
        }
        byte[] base = kind < 45 ? subscribe() : wellFormed();
        if (kind < 30) {
            return base; // a subscription as it is
        }
        int mutations = 1 + random.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            base = mutate(base);
        }
        return base;
    }

    private byte[] randomBytes() {
        byte[] b = new byte[1 + random.nextInt(300)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        if (random.nextBoolean()) {
            b = concat(b, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        return b;
    }

    private byte[] publish() {
        StringBuilder body = new StringBuilder();
        int topics = random.nextInt(100) < 90 ? 1 + random.nextInt(3) : random.nextInt(40);
        for (int i = 0; i < topics; i++) {
            field(body, "topic", topic());
        }
        if (random.nextInt(100) < 80) {
            field(body, "data", text(random.nextInt(100) < 95 ? 200 : 2_000));
        }
        if (random.nextInt(100) < 30) {
            field(body, "id", random.nextInt(100) < 70 ? "fuzz-" + random.nextInt(1_000_000) : text(40));
        }
        if (random.nextInt(100) < 20) {
            field(body, "type", random.nextBoolean() ? "fuzz" : text(20));
        }
        if (random.nextInt(100) < 15) {
            field(body, "retry", random.nextBoolean() ? String.valueOf(random.nextInt(100_000)) : text(8));
        }
        if (random.nextInt(100) < 30) {
            field(body, "private", pick("on", "", "1", "false"));
        }
        String bodyText = body.toString();
        StringBuilder head = new StringBuilder("POST ").append(HUB).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        auth(head, tokens);
        head.append("Content-Type: ").append(random.nextInt(100) < 95 ? "application/x-www-form-urlencoded"
                : pick("application/json", "text/plain", "application/x-www-form-urlencoded; charset=latin1", ""))
                .append("\r\n");
        if (random.nextInt(100) < 10) {
            head.append("Transfer-Encoding: chunked\r\n\r\n");
            return concat(latin1(head.toString()), chunked(bodyText.getBytes(StandardCharsets.US_ASCII)));
        }
        if (random.nextInt(100) < 5) {
            head.append("Expect: 100-continue\r\n");
        }
        head.append("Content-Length: ").append(bodyText.length()).append("\r\n\r\n").append(bodyText);
        return latin1(head.toString());
    }

    private byte[] subscribe() {
        StringBuilder target = new StringBuilder(HUB).append('?');
        int topics = random.nextInt(100) < 95 ? 1 + random.nextInt(3) : random.nextInt(130);
        boolean v1 = random.nextInt(100) < 30;
        for (int i = 0; i < topics; i++) {
            String name = v1 ? pick("match", "match_urlpattern", "match_urlpattern", "match_exact", "Match", "match_x")
                    : random.nextInt(100) < 2 ? "match_urlpattern" : "topic";
            target.append(i == 0 ? "" : "&").append(name).append('=')
                    .append(enc(v1 && name.equals("match_urlpattern") ? urlPattern() : selector()));
        }
        if (random.nextInt(100) < 10) {
            target.append(v1 ? "&last_event_id=" : "&lastEventID=").append(enc(pick("earliest", "fuzz-1", text(20))));
        }
        if (random.nextInt(100) < 10) {
            target.append("&snapshot=1");
        }
        if (random.nextInt(100) < 10) {
            target.append("&authorization=").append(enc(pick(subscriberTokens)));
        }
        StringBuilder req = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .append("Accept: text/event-stream\r\n");
        if (random.nextInt(100) < 40) {
            req.append("Authorization: Bearer ").append(pick(subscriberTokens)).append("\r\n");
        } else if (random.nextInt(100) < 10) {
            req.append("Cookie: mercureAuthorization=").append(pick(subscriberTokens)).append("\r\n");
        }
        if (random.nextInt(100) < 10) {
            req.append("Last-Event-ID: ").append(pick("earliest", "fuzz-2", "\u00ff\u00e9", text(30))).append("\r\n");
        }
        if (random.nextInt(100) < 10) {
            req.append("Origin: https://app.example\r\n");
        }
        return latin1(req.append("\r\n").toString());
    }

    private byte[] preflight() {
        return latin1("OPTIONS " + HUB + " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + pick("https://app.example",
                "null", "\u00ff", "https://" + "o".repeat(random.nextInt(3000)))
                + "\r\nAccess-Control-Request-Method: " + pick("GET", "POST", "DELETE") + "\r\n\r\n");
    }

    private byte[] simple(String method, String path) {
        StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if (method.equals("POST") || method.equals("PUT")) {
            String body = text(50);
            req.append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body);
        } else {
            req.append("\r\n");
        }
        return latin1(req.toString());
    }

    // ---- mutations ----

    private byte[] mutate(byte[] req) {
        return switch (random.nextInt(12)) {
            case 0 -> flip(req);
            case 1 -> req.length < 2 ? req : java.util.Arrays.copyOf(req, random.nextInt(req.length));
            case 2 -> duplicateHeader(req);
            case 3 -> insertAt(req, randomIndex(req), "X-Huge: " + "h".repeat(100 + random.nextInt(20_000)) + "\r\n");
            case 4, 5 -> insertAt(req, random.nextInt(req.length + 1), pick(INSERTS));
            case 6 -> replaceFirstWord(req);
            case 7 -> replaceVersion(req);
            case 8 -> replaceHeaderValue(req, "Content-Length", pick("0", "1", "-1", "99999999999999999999", "abc",
                    String.valueOf(random.nextInt(100_000)), "5, 5", "+5", "0x10", " 12 "));
            case 9 -> insertAt(req, headerEnd(req), pick("Transfer-Encoding: chunked\r\n", "Content-Length: 3\r\n",
                    "Transfer-Encoding: gzip, chunked\r\n", "Transfer-Encoding:\r\n chunked\r\n",
                    "Expect: 100-continue\r\n", "Expect: teapot\r\n", "Connection: close\r\n", "Host: other\r\n",
                    "Authorization: Bearer " + pick(tokens) + "\r\n", "Last-Event-ID: " + text(10) + "\r\n",
                    "Cookie: mercureAuthorization=" + pick(tokens) + "\r\n"));
            case 10 -> replaceHeaderValue(req, "Authorization", "Bearer " + pick(tokens));
            default -> flip(flip(req));
        };
    }

    private byte[] flip(byte[] req) {
        byte[] b = req.clone();
        if (b.length > 0) {
            int n = 1 + random.nextInt(4);
            for (int i = 0; i < n; i++) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
        }
        return b;
    }

    private byte[] duplicateHeader(byte[] req) {
        String s = new String(req, StandardCharsets.ISO_8859_1);
        int end = s.indexOf("\r\n\r\n");
        int first = s.indexOf("\r\n");
        if (end < 0 || first < 0 || first >= end) {
            return req;
        }
        String[] lines = s.substring(first + 2, end).split("\r\n");
        String line = lines[random.nextInt(lines.length)];
        if (random.nextBoolean()) {
            int colon = line.indexOf(':');
            line = colon < 0 ? line : line.substring(0, colon + 1) + " " + text(12);
        }
        return latin1(s.substring(0, end + 2) + line + s.substring(end));
    }

    private byte[] replaceFirstWord(byte[] req) {
        String s = new String(req, StandardCharsets.ISO_8859_1);
        int space = s.indexOf(' ');
        return space < 0 ? req : latin1(pick(METHODS) + s.substring(space));
    }

    private byte[] replaceVersion(byte[] req) {
        String s = new String(req, StandardCharsets.ISO_8859_1);
        int v = s.indexOf("HTTP/1.1");
        return v < 0 ? req : latin1(s.substring(0, v) + pick(VERSIONS) + s.substring(v + 8));
    }

    private byte[] replaceHeaderValue(byte[] req, String name, String value) {
        String s = new String(req, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("\r\n" + name + ": ");
        if (at < 0) {
            return req;
        }
        int start = at + name.length() + 4;
        int end = s.indexOf("\r\n", start);
        return end < 0 ? req : latin1(s.substring(0, start) + value + s.substring(end));
    }

    private int headerEnd(byte[] req) {
        int end = new String(req, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
        return end < 0 ? req.length : end + 2;
    }

    private int randomIndex(byte[] req) {
        String s = new String(req, StandardCharsets.ISO_8859_1);
        int first = s.indexOf("\r\n");
        return first < 0 ? req.length : first + 2;
    }

    // ---- pieces ----

    private String topic() {
        return switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> "https://example.com/public/" + random.nextInt(500);
            case 4, 5 -> "https://example.com/private/" + pick(OWNERS) + "/" + random.nextInt(500);
            case 6 -> "https://example.com/other/" + random.nextInt(50);
            case 7 -> text(1 + random.nextInt(60));
            case 8 -> "t".repeat(random.nextInt(random.nextInt(100) < 90 ? 100 : 1100));
            default -> "urn:" + text(10);
        };
    }

    private String selector() {
        return switch (random.nextInt(10)) {
            case 0, 1 -> "*";
            case 2, 3 -> "https://example.com/public/{n}";
            case 4 -> "https://example.com/private/{owner}/{n}";
            case 5 -> "https://example.com/{a}/{+b}{?q*}";
            case 6 -> "{" + text(10) + "}";
            case 7 -> "https://example.com/public/" + random.nextInt(500);
            case 8 -> "{".repeat(random.nextInt(50)) + "}".repeat(random.nextInt(50));
            default -> text(1 + random.nextInt(200));
        };
    }

    private String urlPattern() {
        return switch (random.nextInt(10)) {
            case 0, 1 -> "*";
            case 2, 3 -> "https://example.com/public/:n";
            case 4 -> "https://example.com/private/:owner/:n";
            case 5 -> "https://{*.}?example.com/(\\d+)/:rest*";
            case 6 -> "/.well-known/mercure/subscriptions/:t/:s";
            case 7 -> "https://example.com/((?:a+)+)b";
            case 8 -> "(".repeat(random.nextInt(20)) + text(10) + ")".repeat(random.nextInt(20));
            default -> text(1 + random.nextInt(200));
        };
    }

    /** Random text: mostly printable, some line breaks, NUL, non-ASCII letters and emoji. */
    private String text(int max) {
        int n = random.nextInt(max + 1);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int r = random.nextInt(100);
            if (r < 80) {
                sb.append((char) (0x20 + random.nextInt(95)));
            } else if (r < 88) {
                sb.append(pick("\r", "\n", "\r\n", "\u0000", "\t"));
            } else if (r < 95) {
                sb.append((char) (0xa0 + random.nextInt(0x500)));
            } else {
                sb.append("\ud83c\udf89");
            }
        }
        // Never the marker of the untouched private publishes.
        return sb.toString().replace(SECRET_MARK, "secret_");
    }

    private void field(StringBuilder body, String name, String value) {
        if (!body.isEmpty()) {
            body.append('&');
        }
        body.append(name).append('=').append(enc(value));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private void auth(StringBuilder head, List<String> pool) {
        int r = random.nextInt(100);
        if (r < 85) {
            head.append("Authorization: Bearer ").append(pick(pool)).append("\r\n");
        } else if (r < 92) {
            head.append("Cookie: mercureAuthorization=").append(pick(pool)).append("\r\n");
            switch (random.nextInt(4)) {
                case 0 -> head.append("Origin: ").append(pick("https://app.example", "https://APP.example:443", "null",
                        "https://evil.example", "app.example", "\u00ff://x", text(30))).append("\r\n");
                case 1 -> head.append("Referer: ").append(pick("https://app.example/page?x=1", "http://app.example",
                        "https://evil.example/", "::::", "https://[::1", "\u00e9", text(40))).append("\r\n");
                default -> { }
            }
        }
    }

    private byte[] chunked(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < body.length) {
            int n = Math.min(body.length - at, 1 + random.nextInt(64));
            out.writeBytes(latin1(Integer.toHexString(n) + "\r\n"));
            out.write(body, at, n);
            out.writeBytes(latin1("\r\n"));
            at += n;
        }
        out.writeBytes(latin1("0\r\n\r\n"));
        return out.toByteArray();
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    private String pick(List<String> options) {
        return options.get(random.nextInt(options.size()));
    }

    private static byte[] insertAt(byte[] req, int at, String text) {
        byte[] ins = latin1(text);
        byte[] out = new byte[req.length + ins.length];
        System.arraycopy(req, 0, out, 0, at);
        System.arraycopy(ins, 0, out, at, ins.length);
        System.arraycopy(req, at, out, at + ins.length, req.length - at);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] latin1(String s) {
        // Characters above U+00FF (from text()) go out as their UTF-8 bytes, the rest as one byte each.
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0xff) {
                out.write(c);
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }
}
