package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every command, run as a process, answers a usage mistake with exactly one line on stderr that
 * names the option (or the environment variable that set it), exit code 2, nothing on stdout and
 * no stack trace; and every command's --help works.
 */
class UsageMistakesTest {

    record Run(int exit, String out, String err) {}

    static Run run(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static Map<String, String> env(String... pairs) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    static Stream<Arguments> mistakes() {
        String shortSecret = "short";
        return Stream.of(
                Arguments.of(env(), List.of("token"), "sluice token: Missing required option: '--secret=SECRET'"),
                Arguments.of(env(), List.of("token", "--secret", shortSecret), "sluice token: --secret: HS256 secret is 5 bytes"),
                Arguments.of(env("SLUICE_SECRET", shortSecret), List.of("token"),
                        "sluice token: environment variable SLUICE_SECRET (--secret): HS256 secret is 5 bytes"),
                Arguments.of(env(), List.of("token", "--secret", "s".repeat(40), "--alg", "RS256"),
                        "sluice token: --alg: only HS256, HS384 and HS512"),
                Arguments.of(env(), List.of("token", "--secret", "s".repeat(40), "--alg", "HS999"),
                        "sluice token: --alg: unknown JWT algorithm 'HS999'"),
                Arguments.of(env(), List.of("token", "--secret", "s".repeat(40), "--ttl", "20"),
                        "sluice token: Invalid value for option '--ttl': '20' has no unit"),
                Arguments.of(env(), List.of("serve", "--heartbeat", "often"),
                        "sluice serve: Invalid value for option '--heartbeat': 'often' is not a duration"),
                Arguments.of(env("SLUICE_HEARTBEAT", "often"), List.of("serve"),
                        "sluice serve: Invalid value for environment variable SLUICE_HEARTBEAT (--heartbeat): 'often'"),
                Arguments.of(env("SLUICE_HISTORY_SIZE", "-5"), List.of("serve", "--listen", "127.0.0.1:0"),
                        "sluice serve: environment variable SLUICE_HISTORY_SIZE (--history-size): must be 0 or more"),
                Arguments.of(env("SLUICE_HISTORY_SIZE", "-5"), List.of("serve", "--listen", "127.0.0.1:0", "--history-size", "-6"),
                        "sluice serve: --history-size: must be 0 or more (0 keeps no history), got -6"),
                Arguments.of(env(), List.of("serve", "--listen", "127.0.0.1:0", "--publisher-jwt-alg", "RS256"),
                        "sluice serve: --publisher-jwt-alg: RS256 needs --publisher-jwt-key"),
                Arguments.of(env(), List.of("serve", "--listen", "127.0.0.1:0", "--publisher-jwt-alg", "HS999"),
                        "sluice serve: --publisher-jwt-alg: unknown JWT algorithm 'HS999'"),
                Arguments.of(env(), List.of("serve", "--listen", "127.0.0.1:0", "--subscriber-jwt-alg", "ES256"),
                        "sluice serve: --subscriber-jwt-alg: is used only with --subscriber-jwt-key"),
                Arguments.of(env(), List.of("serve", "--bogus"), "sluice serve: Unknown option: '--bogus'"),
                Arguments.of(env(), List.of("serve", "extra"), "sluice serve: Unmatched argument at index 1: 'extra'"),
                Arguments.of(env("SLUICE_CONFIG", "/nonexistent/sluice.properties"), List.of("serve"),
                        "sluice: environment variable SLUICE_CONFIG: cannot read /nonexistent/sluice.properties: no such file"),
                Arguments.of(env(), List.of("bench", "--duration", "1.5x"),
                        "sluice bench: Invalid value for option '--duration': '1.5x' is not a duration"),
                Arguments.of(env(), List.of("bench", "--scenario", "nope"), "sluice bench: --scenario: must be"),
                Arguments.of(env("SLUICE_DURATION", "0"), List.of("bench"),
                        "sluice bench: environment variable SLUICE_DURATION (--duration): must be positive"),
                Arguments.of(env(), List.of("bench", "--url", "http://192.0.2.1:8080"),
                        "sluice bench: --url: must point at this machine's loopback"),
                Arguments.of(env("SLUICE_RATE", "fast"), List.of("bench"),
                        "sluice bench: Invalid value for environment variable SLUICE_RATE (--rate): 'fast'"),
                Arguments.of(env(), List.of("frob"), "sluice: unknown command 'frob': use serve, token, bench, demo or help"),
                Arguments.of(env(), List.of("help", "frob"), "sluice: Unknown subcommand 'frob' (see ./sluice --help)"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("mistakes")
    void oneLineNamingTheMistakeAndExit2(Map<String, String> env, List<String> args, String line) throws Exception {
        Run r = run(env, args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("WARNING:")).toList();
        assertThat(lines).as(r.err()).hasSize(1);
        assertThat(lines.get(0)).startsWith(line);
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception:");
    }

    static Stream<List<String>> helps() {
        return Stream.of(List.of("--help"), List.of("help"), List.of("serve", "--help"), List.of("token", "--help"),
                List.of("bench", "--help"), List.of("help", "serve"), List.of("help", "token"), List.of("help", "bench"),
                List.of("demo", "--help"), List.of("help", "demo"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("helps")
    void helpWorks(List<String> args) throws Exception {
        Run r = run(env(), args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Usage: sluice");
        assertThat(r.err()).isEmpty();
        if (r.out().contains("DURATION")) {
            assertThat(r.out().replaceAll("\\s+", " ")).contains("Durations are a number and a unit (ms, s, m or h)");
        }
    }
}
