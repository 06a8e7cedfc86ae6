package dev.sluice.cli;

import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Durations;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice token}: prints an HMAC-signed Mercure JWT, for tests, demos and scripts. */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Print a Mercure JWT signed with a shared secret (HS256/384/512).",
        footer = {"", "The secret is the hub's --publisher-jwt-key, or the 'secret:' that ./sluice serve printed at start",
            "when it was given no key.", "Durations are " + Durations.GRAMMAR + "."})
final class TokenCommand implements Callable<Integer> {

    @Option(names = "--secret", required = true, paramLabel = "SECRET",
            description = "The shared secret (the hub's --publisher-jwt-key or --subscriber-jwt-key).")
    String secret;

    @Option(names = "--alg", defaultValue = "HS256", paramLabel = "ALG", description = "HS256, HS384 or HS512. Default: ${DEFAULT-VALUE}")
    String alg;

    @Option(names = "--publish", split = ",", paramLabel = "SELECTOR", description = "Selectors for mercure.publish (comma-separated).")
    List<String> publish = List.of();

    @Option(names = "--subscribe", split = ",", paramLabel = "SELECTOR", description = "Selectors for mercure.subscribe (comma-separated).")
    List<String> subscribe = List.of();

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "Lifetime (sets exp). Default: no expiry.")
    Duration ttl;

    @Override
    public Integer call() {
        JwtAlgorithm algorithm;
        try {
            algorithm = JwtAlgorithm.parse(alg);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--alg", e.getMessage());
        }
        if (!algorithm.isHmac()) {
            throw new ConfigException("--alg", "only HS256, HS384 and HS512 can be signed here, got " + alg);
        }
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new ConfigException("--ttl", "must be positive, got " + ttl);
        }
        String token;
        try {
            token = TokenIssuer.hmac(algorithm, secret.getBytes(StandardCharsets.UTF_8), publish, subscribe, ttl);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--secret", e.getMessage() + " (use the hub's --publisher-jwt-key, or the"
                    + " secret it printed at start)");
        }
        System.out.println(token);
        return 0;
    }
}
