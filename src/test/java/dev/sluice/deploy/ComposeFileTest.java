package dev.sluice.deploy;

import static dev.sluice.deploy.KubernetesManifestsTest.cast;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.Cidr;
import dev.sluice.config.Durations;
import java.io.Reader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/compose.yaml cannot be run here (no images): it is parsed and its references checked:
 * the services it depends on, the files it mounts and builds from, the nginx upstream against the
 * gateway services, the trusted proxy against nginx's address, and the gateways' settings against
 * their options.
 */
class ComposeFileTest {

    private static final Path COMPOSE = Tools.DEPLOY.resolve("compose.yaml");
    private static final List<String> GATEWAYS = List.of("gateway1", "gateway2", "gateway3");
    private static Map<String, Object> compose;
    private static Map<String, Object> services;

    @BeforeAll
    static void load() throws Exception {
        try (Reader r = Files.newBufferedReader(COMPOSE)) {
            compose = cast(new Yaml().load(r));
        }
        services = cast(compose.get("services"));
    }

    @Test
    void threeGatewaysRedisAndNginx() {
        assertThat(services.keySet()).containsExactlyInAnyOrder("redis", "gateway1", "gateway2", "gateway3", "nginx");
        for (String g : GATEWAYS) {
            Map<String, Object> env = cast(cast(services.get(g)).get("environment"));
            assertThat(env.get("SLUICE_TRANSPORT")).isEqualTo("redis://redis:6379");
        }
    }

    @Test
    void everyReferenceResolves() throws Exception {
        List<String> published = new ArrayList<>();
        for (var e : services.entrySet()) {
            Map<String, Object> s = cast(e.getValue());
            Object depends = s.get("depends_on");
            if (depends instanceof Map<?, ?> m) {
                for (Object name : m.keySet()) {
                    assertThat(services).as(e.getKey() + " depends on " + name).containsKey((String) name);
                }
            }
            if (s.get("build") instanceof Map<?, ?> b) {
                Path context = Tools.DEPLOY.resolve((String) b.get("context")).normalize();
                assertThat(context.resolve((String) b.get("dockerfile"))).as(e.getKey() + " dockerfile").exists();
            }
            if (s.get("volumes") instanceof List<?> volumes) {
                for (Object v : volumes) {
                    String source = ((String) v).split(":")[0];
                    if (source.startsWith(".") || source.startsWith("/")) {
                        assertThat(Tools.DEPLOY.resolve(source)).as(e.getKey() + " mounts " + source).isRegularFile();
                    } else {
                        assertThat(cast(compose.get("volumes"))).as("named volume " + source).containsKey(source);
                    }
                }
            }
            if (s.get("ports") instanceof List<?> ports) {
                for (Object p : ports) {
                    published.add(((String) p).split(":")[0]);
                }
            }
            if (s.get("networks") instanceof List<?> nets) {
                nets.forEach(n -> assertThat(cast(compose.get("networks"))).containsKey((String) n));
            } else if (s.get("networks") instanceof Map<?, ?> nets) {
                nets.keySet().forEach(n -> assertThat(cast(compose.get("networks"))).containsKey((String) n));
            }
        }
        assertThat(published).doesNotHaveDuplicates().isNotEmpty();
    }

    @Test
    void nginxProxiesToEveryGatewayAndIsTheirTrustedProxy() throws Exception {
        Map<String, Object> nginx = cast(services.get("nginx"));
        String mount = (String) ((List<?>) nginx.get("volumes")).get(0);
        Path conf = Tools.DEPLOY.resolve(mount.split(":")[0]).normalize();
        assertThat(conf).isEqualTo(Tools.DEPLOY.resolve("nginx/sluice.conf"));
        List<String> upstream = new ArrayList<>();
        Matcher server = Pattern.compile("(?m)^\\s*server\\s+([^\\s;]+)").matcher(upstreamBlock(Files.readString(conf)));
        while (server.find()) {
            upstream.add(server.group(1));
        }
        List<String> expected = new ArrayList<>();
        for (String g : GATEWAYS) {
            Map<String, Object> env = cast(cast(services.get(g)).get("environment"));
            expected.add(g + ":" + ((String) env.getOrDefault("SLUICE_LISTEN", ":8080")).replaceFirst("^.*:", ""));
        }
        assertThat(upstream).containsExactlyInAnyOrderElementsOf(expected);

        Map<String, Object> net = cast(cast(nginx.get("networks")).get("sluice"));
        InetAddress nginxAddress = InetAddress.getByName((String) net.get("ipv4_address"));
        Map<String, Object> ipam = cast(cast(cast(compose.get("networks")).get("sluice")).get("ipam"));
        Map<?, ?> subnet = (Map<?, ?>) ((List<?>) ipam.get("config")).get(0);
        assertThat(Cidr.parse((String) subnet.get("subnet")).contains(nginxAddress)).isTrue();
        for (String g : GATEWAYS) {
            Map<String, Object> env = cast(cast(services.get(g)).get("environment"));
            assertThat(Cidr.parse((String) env.get("SLUICE_TRUSTED_PROXIES")).contains(nginxAddress))
                    .as(g + " trusts nginx").isTrue();
        }
    }

    @Test
    void gatewaySettingsAreOptionsAndDockerWaitsForTheDrain() throws Exception {
        for (String g : GATEWAYS) {
            Map<String, Object> s = cast(services.get(g));
            Map<String, Object> env = cast(s.get("environment"));
            for (String name : env.keySet()) {
                assertThat(ServeOptionNames.isOptionVariable(name)).as(g + ": " + name + " is an option's variable").isTrue();
            }
            Duration drain = Durations.parse((String) env.get("SLUICE_DRAIN_DELAY"))
                    .plus(Durations.parse((String) env.get("SLUICE_DRAIN_PERIOD")));
            assertThat(Durations.parse((String) s.get("stop_grace_period"))).isGreaterThan(ServeOptionNames.longestStop(drain));
        }
    }

    static String upstreamBlock(String conf) {
        Matcher m = Pattern.compile("upstream\\s+sluice\\s*\\{([^}]*)}").matcher(conf);
        assertThat(m.find()).as("an upstream sluice block").isTrue();
        return m.group(1);
    }
}
