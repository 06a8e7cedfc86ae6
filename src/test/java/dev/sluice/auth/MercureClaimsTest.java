package dev.sluice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MercureClaimsTest {

    @Test
    void noneGrantsNothing() {
        assertThat(MercureClaims.NONE.publish()).isEmpty();
        assertThat(MercureClaims.NONE.subscribe()).isEmpty();
        assertThat(MercureClaims.NONE.payload()).isNull();
        assertThat(MercureClaims.NONE.expiresAt()).isNull();
        assertThat(MercureClaims.NONE.subject()).isNull();
    }

    @Test
    void copiesWhatItIsGivenSoLaterChangesDoNotLeakIn() {
        List<String> publish = new ArrayList<>(List.of("a"));
        Map<String, Object> payload = new HashMap<>(Map.of("k", new ArrayList<>(List.of(1))));

        MercureClaims claims = new MercureClaims(publish, null, payload, null, null);
        publish.add("b");
        payload.put("other", 2);

        assertThat(claims.publish()).containsExactly("a");
        assertThat(claims.subscribe()).isEmpty();
        assertThat(claims.payload()).isEqualTo(Map.of("k", List.of(1)));
        assertThatThrownBy(() -> claims.subscribe().add("x")).isInstanceOf(UnsupportedOperationException.class);
    }
}
