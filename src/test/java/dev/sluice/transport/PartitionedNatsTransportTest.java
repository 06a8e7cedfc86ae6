package dev.sluice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.support.NatsServer;
import dev.sluice.topic.Partitions;
import dev.sluice.topic.Update;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partitioned NATS transport on its own, against a nats-server of the test's own: what it
 * promises to the hub (one entry at a time, in order within a partition, each with a position
 * made of stream sequences and the stream's creation time), which partitions it reads, its
 * publish acknowledgement, a stream created anew and an outage of the server.
 */
class PartitionedNatsTransportTest {

    @TempDir
    static Path storage;
    static NatsServer nats;
    static final AtomicInteger logs = new AtomicInteger();

    final int n = logs.incrementAndGet();
    final String stream = "PNT" + n;
    final String subject = "pnt." + n;
    final List<Update> delivered = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startNats() throws Exception {
        nats = NatsServer.start(storage.resolve("nats"));
    }

    @AfterAll
    static void stopNats() throws Exception {
        if (nats != null) {
            nats.close();
        }
    }

    PartitionedNatsTransport transport(int partitions, int historySize) {
        return (PartitionedNatsTransport) Transports.open(Config.builder().transport(nats.url())
                .nats(null, stream, subject).partitions(partitions).historySize(historySize).build());
    }

    static Update update(String data, String... topics) {
        return new Update("u-" + data, List.of(topics), data, false, null, -1);
    }

    static void publish(Transport t, String data, String... topics) throws Exception {
        t.publish(update(data, topics)).get(10, TimeUnit.SECONDS);
    }

    List<String> data() {
        synchronized (delivered) {
            return delivered.stream().map(Update::data).toList();
        }
    }

    static long createdMillis(JetStreamManagement jsm, String name) throws Exception {
        return jsm.getStreamInfo(name).getCreateTime().toInstant().toEpochMilli();
    }

    /**
     * Only a followed partition is read; its entries reach the hub in stream order, each with the
     * node's position as id (stream sequence, the stream's creation time, the partition it came
     * from, partitions never read unknown); an update of two partitions is stored in both before
     * its publish completes; a partition followed later starts with its history.
     */
    @Test
    void onlyFollowedPartitionsAreReadWithStreamSequencesAsPositions() throws Exception {
        List<String> topics = PartitionedRedisTest.topics(4, 8); // topic i in partition i mod 4
        try (PartitionedNatsTransport t = transport(4, 100); Connection nc = Nats.connect(nats.url())) {
            t.start(delivered::add);
            assertThat(t.isReady()).isTrue();
            assertThat(t.partitionsRead()).isZero();
            assertThat(t.describe()).contains("4 partitions, streams " + stream + "-p0.." + stream + "-p3");
            t.follow(1L << 1, null).get(10, TimeUnit.SECONDS);
            assertThat(t.partitionsRead()).isEqualTo(1);
            for (int k = 1; k <= 3; k++) {
                for (int i = 0; i < topics.size(); i++) {
                    publish(t, i + ":" + k, topics.get(i));
                }
            }
            publish(t, "both", topics.get(1), topics.get(2));
            JetStreamManagement jsm = nc.jetStreamManagement();
            for (int p = 0; p < 4; p++) {
                assertThat(jsm.getStreamInfo(stream + "-p" + p).getStreamState().getMsgCount())
                        .as("entries of partition %d", p).isEqualTo(p == 1 || p == 2 ? 7 : 6);
            }
            t.caughtUp().get(10, TimeUnit.SECONDS);
            assertThat(data()).containsExactly("1:1", "5:1", "1:2", "5:2", "1:3", "5:3", "both");
            long created1 = createdMillis(jsm, stream + "-p1");
            for (int i = 0; i < delivered.size(); i++) {
                Update u = delivered.get(i);
                Partitions.Position at = Partitions.Position.decode(u.id(), 4);
                assertThat(at).as("position of %s", u.data()).isNotNull();
                assertThat(at.own()).isEqualTo(1);
                assertThat(at.millis()[1]).as("the stream's creation time").isEqualTo(created1);
                assertThat(at.seq()[1]).as("the stream sequence").isEqualTo(i + 1);
                assertThat(at.known(0) || at.known(2) || at.known(3)).as("partitions not read").isFalse();
            }
            assertThat(delivered.get(6).topics()).containsExactly(topics.get(1), topics.get(2));

            // Partition 2 followed now: its history (the copy of "both" included) comes first.
            t.follow(1L << 2, null).get(10, TimeUnit.SECONDS);
            assertThat(t.partitionsRead()).isEqualTo(2);
            assertThat(data().subList(7, data().size())).containsExactly("2:1", "6:1", "2:2", "6:2", "2:3", "6:3", "both");
            Partitions.Position last = Partitions.Position.decode(delivered.getLast().id(), 4);
            assertThat(last.own()).isEqualTo(2);
            assertThat(last.seq()[2]).isEqualTo(7);
            assertThat(last.seq()[1]).as("partition 1 where it was").isEqualTo(7);
            assertThat(last.millis()[2]).isEqualTo(createdMillis(jsm, stream + "-p2"));

            t.unfollow(1L << 1);
            t.unfollow(1L << 2);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> t.partitionsRead() == 0);
            int before = delivered.size();
            publish(t, "unread", topics.get(1));
            Thread.sleep(300);
            assertThat(delivered).as("a partition nobody follows is not read").hasSize(before);
        }
    }

    /**
     * A partition read again after a pause first reads what was published meanwhile: its
     * follower is let in only once that is in history.
     */
    @Test
    void aPartitionReadAgainCatchesUpBeforeItsFollowerIsLetIn() throws Exception {
        String topic = PartitionedRedisTest.topics(2, 1).get(0);
        try (PartitionedNatsTransport t = transport(2, 100)) {
            t.start(delivered::add);
            t.follow(1L, null).get(10, TimeUnit.SECONDS);
            publish(t, "a", topic);
            publish(t, "b", topic);
            t.caughtUp().get(10, TimeUnit.SECONDS);
            t.unfollow(1L);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> t.partitionsRead() == 0);
            for (String d : List.of("c", "d", "e")) {
                publish(t, d, topic);
            }
            t.follow(1L, null).get(10, TimeUnit.SECONDS);
            assertThat(data()).as("read up to the end before follow completed").containsExactly("a", "b", "c", "d", "e");
            List<Long> seqs = delivered.stream().map(u -> Partitions.Position.decode(u.id(), 2).seq()[0]).toList();
            assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L);
        }
    }

    /**
     * A partition's stream deleted and created again (as by a server that lost its storage) is
     * read from its first entry, under its new creation time: a position taken before covers
     * none of its entries, while it still covers every entry of the former stream.
     */
    @Test
    void aStreamCreatedAnewIsReadFromItsStartAndOlderPositionsCoverNoneOfIt() throws Exception {
        String topic = PartitionedRedisTest.topics(2, 1).get(0);
        try (PartitionedNatsTransport t = transport(2, 100); Connection nc = Nats.connect(nats.url())) {
            t.start(delivered::add);
            t.follow(1L, null).get(10, TimeUnit.SECONDS);
            for (String d : List.of("a", "b", "c")) {
                publish(t, d, topic);
            }
            t.caughtUp().get(10, TimeUnit.SECONDS);
            Partitions.Position before = Partitions.Position.decode(delivered.getLast().id(), 2);
            assertThat(before.seq()[0]).isEqualTo(3);
            t.unfollow(1L);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> t.partitionsRead() == 0);
            nc.jetStreamManagement().deleteStream(stream + "-p0");
            Thread.sleep(5); // a later creation time
            t.follow(1L, null).get(10, TimeUnit.SECONDS);
            long created = createdMillis(nc.jetStreamManagement(), stream + "-p0");
            assertThat(created).isGreaterThan(before.millis()[0]);
            publish(t, "anew", topic);
            t.caughtUp().get(10, TimeUnit.SECONDS);
            assertThat(data()).containsExactly("a", "b", "c", "anew");
            Partitions.Position after = Partitions.Position.decode(delivered.getLast().id(), 2);
            assertThat(after.millis()[0]).isEqualTo(created);
            assertThat(after.seq()[0]).isEqualTo(1);
            assertThat(before.covers(0, after.millis()[0], after.seq()[0])).isFalse();
            assertThat(after.covers(0, before.millis()[0], before.seq()[0])).isTrue();
            assertThat(Partitions.Position.decode(after.encode(), 2)).isNotNull();
        }
    }

    /**
     * While nats-server is down a publish fails with a TransportUnavailableException (a 503) and
     * the transport is not ready; once it is back, publishes are acknowledged again and every
     * acknowledged update is delivered once, in order within its partition.
     */
    @Test
    void anUnreachableServerFailsPublishesAndNothingAcknowledgedIsLost() throws Exception {
        List<String> topics = PartitionedRedisTest.topics(2, 2);
        try (PartitionedNatsTransport t = transport(2, 100)) {
            t.start(delivered::add);
            t.follow(0b11, null).get(10, TimeUnit.SECONDS);
            List<String> acked = new ArrayList<>();
            for (int k = 0; k < 10; k++) {
                publish(t, "x" + k, topics.get(k % 2));
                acked.add("x" + k);
            }
            nats.kill();
            try {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !t.isReady());
                assertThatThrownBy(() -> t.publish(update("lost", topics.get(0))).get(10, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TransportUnavailableException.class)
                        .hasMessageContaining("NATS");
            } finally {
                nats.restart();
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(t::isReady);
            // JetStream may answer a moment after the connection is back: a refused publish is not stored.
            for (int k = 10; k < 20; k++) {
                String d = "x" + k;
                String topic = topics.get(k % 2);
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                    try {
                        publish(t, d, topic);
                        return true;
                    } catch (ExecutionException refused) {
                        return false;
                    }
                });
                acked.add(d);
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> data().containsAll(acked));
            t.caughtUp().get(10, TimeUnit.SECONDS);
            assertThat(data()).as("each once").doesNotHaveDuplicates();
            // Order is kept within a partition (here: a topic); after the outage the partitions'
            // consumers come back one after the other, so they may interleave differently.
            for (int p = 0; p < 2; p++) {
                int partition = p;
                List<String> mine = acked.stream().filter(d -> Integer.parseInt(d.substring(1)) % 2 == partition).toList();
                assertThat(data().stream().filter(mine::contains).toList())
                        .as("every acknowledged update of partition %d, in order", p).containsExactlyElementsOf(mine);
            }
        }
    }
}
