package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract of a transport whose log outlives the node that wrote it (file, Redis, NATS): a
 * node started later finds the retained log. (The memory transport's log is its node's history:
 * a node started later starts empty, so this does not apply to it.)
 */
abstract class RetainedLogContract extends TransportContract {

    /**
     * False when only one node at a time may hold the log (the file transport locks its file):
     * the earlier node is then closed before the later one starts, which is a restart.
     */
    protected abstract boolean aLaterNodeRunsBesideTheFirst();

    /**
     * A node started after 30 publishes, with a history size of 20, has the newest 20 in its
     * history before its start returns (its transport replays them at start), resumes from an id
     * among them without a gap, answers "earliest" for an id older than that, and goes on live.
     */
    @Test
    void aNodeStartedLaterReplaysTheRetainedLog() throws Exception {
        TestHub first = node();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ids.add(first.publishOk("topic", "h", "data", "d" + i));
        }
        if (!aLaterNodeRunsBesideTheFirst()) {
            close(first);
        }
        TestHub later = node(b -> b.historySize(20));
        assertThat(later.gateway.hub().stats().historyCount()).as("replayed before start returned").isEqualTo(20);
        try (SseStream s = later.subscribe("topic=h", "Last-Event-ID", ids.get(15))) {
            assertThat(s.header("Last-Event-ID")).isEqualTo(ids.get(15));
            List<SseEvent> got = s.take(14);
            assertThat(got).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(16, 30));
            assertThat(got.get(0).data()).isEqualTo("d16");
        }
        try (SseStream s = later.subscribe("topic=h", "Last-Event-ID", ids.get(5))) {
            assertThat(s.header("Last-Event-ID")).as("older than the retained history").isEqualTo("earliest");
            assertThat(s.take(20)).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(10, 30));
            TestHub publisher = aLaterNodeRunsBesideTheFirst() ? first : later;
            String live = publisher.publishOk("topic", "h", "data", "live");
            assertThat(s.next().id()).isEqualTo(live);
        }
    }

    /**
     * A repeated id resolves to its earliest occurrence in the history the later node read back
     * from the log: an occurrence older than the retained part no longer counts.
     */
    @Test
    void aNodeStartedLaterResumesARepeatedIdAfterItsEarliestRetainedOccurrence() throws Exception {
        TestHub first = node();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            boolean reused = i == 5 || i == 12 || i == 25;
            ids.add(first.publishOk("topic", "hr", "data", "d" + i, "id", reused ? "again" : "hr-" + i));
        }
        if (!aLaterNodeRunsBesideTheFirst()) {
            close(first);
        }
        TestHub later = node(b -> b.historySize(20));
        try (SseStream s = later.subscribe("topic=hr", "Last-Event-ID", "again")) {
            assertThat(s.header("Last-Event-ID")).isEqualTo("again");
            List<SseEvent> got = s.take(17);
            assertThat(got).extracting(SseEvent::id).containsExactlyElementsOf(ids.subList(13, 30));
            assertThat(got).extracting(SseEvent::id).contains("again");
            assertThat(got.get(0).data()).isEqualTo("d13");
        }
    }
}
