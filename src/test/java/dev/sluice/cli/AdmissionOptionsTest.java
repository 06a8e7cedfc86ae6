package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The admission-control options: from the command line and the environment into Config, and their checks. */
class AdmissionOptionsTest {

    static Config parsed(Map<String, String> env, String... args) {
        return ServeOptions.parse(env, args);
    }

    @Test
    void maxConnectionsPerIpIsOffByDefaultAndSetFromTheFlagOrTheEnvironment() {
        assertThat(parsed(Map.of()).maxConnectionsPerIp()).isZero();
        assertThat(Config.builder().build().maxConnectionsPerIp()).isZero();
        assertThat(parsed(Map.of(), "--max-connections-per-ip", "16").maxConnectionsPerIp()).isEqualTo(16);
        assertThat(parsed(Map.of("SLUICE_MAX_CONNECTIONS_PER_IP", "4")).maxConnectionsPerIp()).isEqualTo(4);
        assertThatThrownBy(() -> parsed(Map.of(), "--max-connections-per-ip", "-1"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-connections-per-ip:")
                .hasMessageContaining("-1");
    }

    @Test
    void addressRulesAreReadAsCommaSeparatedNetworksAndCheckedAtStart() {
        Config c = parsed(Map.of("SLUICE_PUBLISH_DENY", "192.0.2.0/24"), "--subscribe-allow", "10.0.0.0/8, 2001:db8::/32",
                "--subscribe-deny", "10.1.0.0/16", "--publish-allow", "127.0.0.1");
        assertThat(c.subscribeAllow()).containsExactly("10.0.0.0/8", "2001:db8::/32");
        assertThat(c.subscribeDeny()).containsExactly("10.1.0.0/16");
        assertThat(c.publishAllow()).containsExactly("127.0.0.1");
        assertThat(c.publishDeny()).containsExactly("192.0.2.0/24");
        Config none = parsed(Map.of());
        assertThat(none.subscribeAllow()).isEmpty();
        assertThat(none.subscribeDeny()).isEmpty();
        assertThat(none.publishAllow()).isEmpty();
        assertThat(none.publishDeny()).isEmpty();
        for (String option : new String[] {"--subscribe-allow", "--subscribe-deny", "--publish-allow", "--publish-deny"}) {
            assertThatThrownBy(() -> parsed(Map.of(), option, "10.0.0.0/8,intranet.example"))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith(option + ":")
                    .hasMessageContaining("intranet.example");
            assertThatThrownBy(() -> parsed(Map.of(), option, "10.0.0.0/40"))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith(option + ":")
                    .hasMessageContaining("prefix");
        }
    }

    @Test
    void trustedProxiesAreNetworksCheckedAtStart() {
        assertThat(parsed(Map.of()).trustedProxies()).isEmpty();
        assertThat(parsed(Map.of("SLUICE_TRUSTED_PROXIES", "10.0.0.0/8,::1")).trustedProxies())
                .containsExactly("10.0.0.0/8", "::1");
        assertThatThrownBy(() -> parsed(Map.of(), "--trusted-proxies", "proxy.internal"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--trusted-proxies:")
                .hasMessageContaining("proxy.internal");
    }

    @Test
    void publishRatesAreOffByDefaultAndCheckedAtStart() {
        Config none = parsed(Map.of());
        assertThat(none.publishRatePerIp()).isNull();
        assertThat(none.publishRatePerToken()).isNull();
        Config c = parsed(Map.of("SLUICE_PUBLISH_RATE_PER_TOKEN", "6000/min"), "--publish-rate-per-ip", "100/s");
        assertThat(c.publishRatePerIp()).isEqualTo("100/s");
        assertThat(c.publishRatePerToken()).isEqualTo("6000/min");
        for (String option : new String[] {"--publish-rate-per-ip", "--publish-rate-per-token"}) {
            assertThatThrownBy(() -> parsed(Map.of(), option, "100"))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith(option + ":")
                    .hasMessageContaining("COUNT/UNIT");
            assertThatThrownBy(() -> parsed(Map.of(), option, "0/s"))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith(option + ":");
        }
    }
}
