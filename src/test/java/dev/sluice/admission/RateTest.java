package dev.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Rate;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rates, their token buckets, the bound on remembered keys, and token identity. */
class RateTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "100/s,     100,   PT1S",
            "6000/min,  6000,  PT1M",
            "1/m,       1,     PT1M",
            "50000/h,   50000, PT1H",
            "' 7 / sec ', 7,   PT1S",
            "3/HOUR,    3,     PT1H",
    })
    void parses(String spec, long count, Duration period) {
        Rate r = Rate.parse(spec);
        assertThat(r.count()).isEqualTo(count);
        assertThat(r.period()).isEqualTo(period);
    }

    @ParameterizedTest(name = "''{0}'' refused: {1}")
    @CsvSource(delimiter = '|', value = {
            "100      | COUNT/UNIT",
            "/s       | COUNT/UNIT",
            "-1/s     | COUNT/UNIT",
            "1.5/s    | COUNT/UNIT",
            "0/s      | at least 1",
            "10/day   | unknown unit",
            "10/ms    | unknown unit",
            "''       | COUNT/UNIT",
    })
    void refuses(String spec, String why) {
        assertThatThrownBy(() -> Rate.parse(spec)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(why);
    }

    @Test
    void theCountIsTheBurstThenTheWaitIsUntilTheNextRefill() throws Exception {
        RateLimiter<InetAddress> limiter = new RateLimiter<>(Rate.parse("3/h"), 100);
        InetAddress a = InetAddress.getByName("192.0.2.1");
        InetAddress b = InetAddress.getByName("192.0.2.2");
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryTake(a)).as("request %d", i + 1).isZero();
        }
        long wait = limiter.tryTake(a);
        // One request comes back every 20 minutes: the wait is at most that, and at least a second.
        assertThat(wait).isBetween(1L, 1200L);
        assertThat(limiter.tryTake(b)).as("another key has its own bucket").isZero();
    }

    @Test
    void rememberedKeysStayBounded() throws Exception {
        RateLimiter<InetAddress> limiter = new RateLimiter<>(Rate.parse("1/h"), 100);
        for (int i = 0; i < 5_000; i++) {
            byte[] v6 = new byte[16];
            v6[0] = 0x20;
            v6[1] = 0x01;
            v6[14] = (byte) (i >> 8);
            v6[15] = (byte) i;
            assertThat(limiter.tryTake(InetAddress.getByAddress(v6))).isZero();
        }
        assertThat(limiter.keys()).isLessThanOrEqualTo(100);
    }

    @Test
    void aTokenIsKnownByItsHashOnly() {
        String token = "eyJhbGciOiJIUzI1NiJ9.secret-part.sig";
        TokenHash h = TokenHash.of(token);
        assertThat(TokenHash.of(token)).isEqualTo(h);
        assertThat(TokenHash.of(token + "x")).isNotEqualTo(h);
        assertThat(h.toString()).doesNotContain("secret").doesNotContain("eyJ");
    }
}
