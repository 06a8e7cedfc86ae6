package dev.sluice.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpdateRecordTest {

    @Test
    void theFirstTopicIsCanonicalAndTheTopicsAreCopied() {
        List<String> topics = new ArrayList<>(List.of("https://e.com/a", "https://e.com/alt"));
        Update u = new Update("id", topics, "", false, "", -1);
        topics.set(0, "changed");
        assertThat(u.canonicalTopic()).isEqualTo("https://e.com/a");
        assertThat(u.topics()).containsExactly("https://e.com/a", "https://e.com/alt");
        assertThat(u.type()).as("an empty type is the default type").isNull();
        assertThat(new Update("id", topics, "", false, "ev", 5).type()).isEqualTo("ev");
        assertThatThrownBy(() -> new Update("id", List.of(), "", false, null, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("an update needs at least one topic");
    }
}
