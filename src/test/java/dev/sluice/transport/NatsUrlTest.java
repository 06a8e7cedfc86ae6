package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.ConfigException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NatsUrlTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "nats://127.0.0.1:4222                 | nats://127.0.0.1:4222                        | nats://127.0.0.1:4222",
        "nats://u:p@a:1,b:2                    | nats://u:p@a:1 nats://u:p@b:2                | nats://a:1,nats://b:2",
        "tls://tok@a:1, b:2 ,nats://c:3        | tls://tok@a:1 tls://tok@b:2 nats://tok@c:3  | tls://a:1,tls://b:2,nats://c:3",
        "nats://a:1,x:y@b:2                    | nats://a:1 nats://x:y@b:2                    | nats://a:1,nats://b:2",
        "nats://host                           | nats://host                                  | nats://host",
    })
    void serversGetTheFirstSchemeAndCredentialsAndTheDisplayHidesThem(String spec, String servers, String display) {
        NatsUrl url = NatsUrl.parse(spec);
        assertThat(url.servers()).isEqualTo(List.of(servers.trim().split("\\s+")));
        assertThat(url.display()).isEqualTo(display);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "nats://u:secret@host:99999 | '99999' is not a port",
        "nats://u:secret@host:4222,redis://x:1 | 'redis://' is not nats:// or tls://",
        "nats://u:secret@ | '' is not HOST[:PORT]",
        "nats://host/path | 'host/path' is not HOST[:PORT]",
    })
    void badUrlsAreRefusedWithoutShowingTheCredentials(String spec, String why) {
        assertThatThrownBy(() -> NatsUrl.parse(spec)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--transport").hasMessageContaining(why).hasMessageNotContaining("secret");
    }
}
