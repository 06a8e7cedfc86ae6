package dev.sluice.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.support.NodeClients;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * undici's {@code EventSource}, npm {@code eventsource} or {@code eventsource-parser} (over
 * fetch, with its byte-level lint) in one Node process ({@code src/test/node/interop.mjs}) that
 * runs every subscription of the client at once, driven by JSON lines on its stdin.
 */
final class NodeClient implements InteropClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of(System.getProperty("user.dir"), "src", "test", "node");

    private final ClientKind kind;
    private final Target target;
    private final Process process;
    private final OutputStream commands;
    private final Map<String, ClientStream> streams = new ConcurrentHashMap<>();
    private final Map<String, String> lastIds = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final StringBuilder stderr = new StringBuilder();

    NodeClient(ClientKind kind, Target target) throws IOException {
        NodeClients.assumeAvailable(); // npm ci when needed; skipped without Node, except in CI
        this.kind = kind;
        this.target = target;
        this.process = new ProcessBuilder("node", "--no-warnings", "interop.mjs").directory(DIR.toFile()).start();
        this.commands = process.getOutputStream();
        Thread.ofVirtual().start(this::readLines);
        Thread.ofVirtual().start(() -> {
            try {
                String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                synchronized (stderr) {
                    stderr.append(err);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    private String arg() {
        return switch (kind) {
            case UNDICI -> "undici";
            case EVENTSOURCE -> "eventsource";
            case PARSER -> "parser";
            default -> throw new IllegalArgumentException(kind.name());
        };
    }

    @Override
    public ClientStream open(Subscription sub) throws Exception {
        String id = "s" + ids.incrementAndGet();
        ClientStream stream = new ClientStream(kind.label + " " + id, true, kind == ClientKind.PARSER);
        streams.put(id, stream);
        ObjectNode cmd = JSON.createObjectNode().put("op", "open").put("sub", id).put("client", arg())
                .put("url", sub.url(target.hubUrl).toString());
        ObjectNode headers = cmd.putObject("headers");
        if (sub.auth() == Subscription.Auth.HEADER) {
            headers.put("Authorization", "Bearer " + sub.token());
        } else if (sub.auth() == Subscription.Auth.COOKIE) {
            headers.put("Cookie", Subscription.COOKIE + "=" + sub.token());
        }
        sub.types().forEach(cmd.putArray("types")::add);
        switch (target.protocol) {
            case HTTP1 -> cmd.put("transport", "h1");
            case H2 -> cmd.put("transport", "h2").put("ca", caPem());
            case H2C -> cmd.put("transport", "h2c");
            case H2C_UPGRADE -> throw new IllegalStateException(kind + " does not speak " + target.protocol);
        }
        if (sub.lastEventId() != null) {
            cmd.put("lastEventId", sub.lastEventId());
        }
        send(cmd);
        stream.onClose(() -> {
            send(JSON.createObjectNode().put("op", "close").put("sub", id));
            streams.remove(id);
        });
        return stream;
    }

    /** The gateway's certificate, the one certificate the client trusts over TLS. */
    private String caPem() throws Exception {
        return java.nio.file.Files.readString(target.certificateFile());
    }

    private void send(ObjectNode cmd) throws IOException {
        synchronized (commands) {
            commands.write((JSON.writeValueAsString(cmd) + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
        }
    }

    private void readLines() {
        try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                JsonNode l = JSON.readTree(line);
                String sub = l.path("sub").asText(null);
                ClientStream s = sub == null ? null : streams.get(sub);
                if (s == null) {
                    if (sub == null) { // the process itself complains: every stream should know
                        streams.values().forEach(x -> x.problem("node: " + l.path("message").asText()));
                    }
                    continue;
                }
                long t = l.path("t").asLong();
                switch (l.path("kind").asText()) {
                    case "open" -> s.opened(t);
                    case "event" -> {
                        String lastId = l.path("lastEventId").isTextual() ? l.path("lastEventId").asText() : null;
                        if (lastId != null && !lastId.isEmpty()) {
                            lastIds.put(sub, lastId);
                        }
                        s.event(l.path("type").asText(), l.path("data").asText(), lastId == null ? "" : lastId);
                    }
                    case "error" -> s.error(t, l.path("message").asText(),
                            kind == ClientKind.PARSER || l.path("closed").asBoolean());
                    case "request" -> s.request(l.path("lastEventId").isTextual() ? l.path("lastEventId").asText() : null);
                    case "protocol" -> s.protocol(l.path("value").asText());
                    case "comment" -> s.comment();
                    case "retry" -> s.retry(l.path("value").asLong());
                    case "parse-error" -> s.problem("eventsource-parser: " + l);
                    case "lint" -> s.problem("lint: " + l.path("problem").asText());
                    case "end" -> s.ended(lastIds.get(sub));
                    default -> s.problem("unexpected " + l);
                }
            }
        } catch (IOException e) {
            streams.values().forEach(s -> s.problem("node output unreadable: " + e));
        }
    }

    @Override
    public boolean reconnects() {
        return kind != ClientKind.PARSER;
    }

    @Override
    public void close() throws Exception {
        commands.close(); // the script closes every subscription and exits
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        synchronized (stderr) {
            return kind.label + (stderr.isEmpty() ? "" : " (stderr: " + stderr + ")");
        }
    }
}
