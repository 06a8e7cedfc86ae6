package dev.sluice.interop;

import dev.sluice.support.TestHub;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.opentest4j.TestAbortedException;

/**
 * The interop suite: every scenario ({@link Scenario}) with every independent client
 * ({@link ClientKind}) over every protocol it speaks ({@link Protocol}), against two real
 * gateways (cleartext, TLS: see {@link Target}). All cells start at once (bounded by each client's parallelism) and each shows up
 * as a test of its own; a scenario a client cannot do is reported as skipped with the reason,
 * and as n/a in the table.
 *
 * <p>Then, in the same class so that it always runs after them, the results are written to
 * {@value CompatibilityTable#RESULTS} and README.md's compatibility table must be exactly what
 * they give: a change in what the clients do fails the build until README.md says so.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InteropSuiteTest {
    /** At most this many scenarios run at once, whatever the clients allow. */
    private static final int PARALLEL = 16;
    /** Scenarios that wait several seconds for a client to reconnect. */
    private static final java.util.Set<Scenario> SLOW = java.util.EnumSet.of(Scenario.RETRY, Scenario.RECONNECT);

    private static final List<AutoCloseable> resources = new ArrayList<>();
    private static final List<CompletableFuture<Outcome>> cells = new ArrayList<>();
    /** Why a client could not be started on this machine (skipped outside CI), by row. */
    private static final List<String> missing = new ArrayList<>();
    private static ExecutorService executor;

    @TestFactory
    @Order(1)
    Stream<DynamicNode> everyClientOverEveryProtocol() throws Exception {
        executor = Executors.newVirtualThreadPerTaskExecutor();
        Semaphore all = new Semaphore(PARALLEL);
        List<DynamicNode> protocols = new ArrayList<>();
        TestHub cleartext = Target.startGateway(false);
        resources.add(cleartext);
        TestHub tls = Target.startGateway(true);
        resources.add(tls);
        for (Protocol protocol : Protocol.values()) {
            Target target = new Target(protocol, protocol.tls ? tls : cleartext);
            Map<ClientKind, InteropClient> clients = new EnumMap<>(ClientKind.class);
            Map<ClientKind, String> unavailable = new EnumMap<>(ClientKind.class);
            for (ClientKind kind : ClientKind.values()) {
                if (kind.cannotSpeak(protocol) != null) {
                    continue;
                }
                try {
                    InteropClient c = kind.start(target);
                    resources.add(c);
                    clients.put(kind, c);
                } catch (TestAbortedException e) {
                    unavailable.put(kind, e.getMessage());
                    missing.add(kind.label + " over " + protocol.label + ": " + e.getMessage());
                }
            }
            List<DynamicNode> rows = new ArrayList<>();
            for (ClientKind kind : ClientKind.values()) {
                if (kind.cannotSpeak(protocol) != null) {
                    continue;
                }
                InteropClient client = clients.get(kind);
                Semaphore own = client == null ? null : new Semaphore(client.parallelism());
                List<DynamicNode> tests = new ArrayList<>();
                Map<Scenario, CompletableFuture<Outcome>> started = new EnumMap<>(Scenario.class);
                // The scenarios that wait for a reconnection first, so that a client that runs few
                // at a time (a browser over HTTP/1.1) does not end with them.
                List<Scenario> order = new ArrayList<>(List.of(Scenario.values()));
                order.sort(java.util.Comparator.comparing(sc -> !SLOW.contains(sc)));
                for (Scenario scenario : order) {
                    started.put(scenario, start(target, client, kind, scenario, all, own));
                }
                for (Scenario scenario : Scenario.values()) {
                    CompletableFuture<Outcome> cell = started.get(scenario);
                    if (cell != null) {
                        cells.add(cell);
                    }
                    String skipped = unavailable.get(kind);
                    tests.add(DynamicTest.dynamicTest(scenario.title, () -> {
                        if (cell == null) {
                            Assumptions.abort(skipped);
                        }
                        Outcome o = cell.get(3, TimeUnit.MINUTES);
                        switch (o.status()) {
                            case PASS -> { }
                            case NA -> Assumptions.abort("n/a: " + o.note());
                            case FAIL -> Assertions.fail(o.note());
                        }
                    }));
                }
                rows.add(DynamicContainer.dynamicContainer(kind.label, tests.stream()));
            }
            protocols.add(DynamicContainer.dynamicContainer(protocol.label, rows.stream()));
        }
        return protocols.stream();
    }

    /** The scenario's outcome to come: n/a at once, null when the client is missing here, else running. */
    private static CompletableFuture<Outcome> start(Target target, InteropClient client, ClientKind kind, Scenario scenario,
            Semaphore all, Semaphore own) {
        String why = kind.cannot(scenario, target.protocol);
        if (why != null) {
            return CompletableFuture.completedFuture(Outcome.na(kind, target.protocol, scenario, why));
        }
        if (client == null) {
            return null;
        }
        String topic = "https://interop.example/" + kind.name().toLowerCase() + "/"
                + target.protocol.name().toLowerCase() + "/" + scenario.name().toLowerCase();
        return CompletableFuture.supplyAsync(() -> runCell(target, client, kind, scenario, topic, all, own), executor);
    }

    private static Outcome runCell(Target target, InteropClient client, ClientKind kind, Scenario scenario, String topic,
            Semaphore all, Semaphore own) {
        try {
            own.acquire();
            try {
                all.acquire();
                try {
                    String note = new Scenarios(target, client, kind, topic).run(scenario);
                    return Outcome.pass(kind, target.protocol, scenario, note);
                } finally {
                    all.release();
                }
            } finally {
                own.release();
            }
        } catch (Throwable e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            return Outcome.fail(kind, target.protocol, scenario, message);
        }
    }

    @Test
    @Order(2)
    void readmeTableIsWhatTheSuiteFound() throws Exception {
        Assumptions.assumeFalse(cells.isEmpty(), "the interop scenarios did not run in this JVM");
        Assumptions.assumeTrue(missing.isEmpty(),
                "some clients are not installed here, so the table cannot be complete: " + missing);
        List<Outcome> outcomes = new ArrayList<>();
        for (CompletableFuture<Outcome> cell : cells) {
            outcomes.add(cell.get(3, TimeUnit.MINUTES));
        }
        // A client's rows together: by client, then protocol, then scenario.
        outcomes.sort(java.util.Comparator.comparing(Outcome::client).thenComparing(Outcome::protocol)
                .thenComparing(Outcome::scenario));
        List<CompatibilityTable.Row> rows = new ArrayList<>();
        for (Outcome o : outcomes) {
            rows.add(new CompatibilityTable.Row(o.client().label, o.protocol().label, o.scenario().title,
                    switch (o.status()) {
                        case PASS -> "pass";
                        case FAIL -> "fail";
                        case NA -> "n/a";
                    }, o.note()));
        }
        for (ClientKind kind : ClientKind.values()) {
            for (Protocol protocol : Protocol.values()) {
                String why = kind.cannotSpeak(protocol);
                if (why != null) {
                    rows.add(new CompatibilityTable.Row(kind.label, protocol.label, CompatibilityTable.ANY, "n/a", why));
                }
            }
        }
        Path results = Path.of(CompatibilityTable.RESULTS);
        CompatibilityTable.write(results, rows);
        String table = CompatibilityTable.render(CompatibilityTable.read(results));
        Path readme = Path.of("README.md");
        String current = CompatibilityTable.current(Files.readString(readme, StandardCharsets.UTF_8));
        if (!table.strip().concat("\n").equals(current)) {
            Assertions.fail("README.md's compatibility table is not what the interop suite found. Its results are in "
                    + results + "; the table they give:\n\n" + table + "\nTo put it into README.md: "
                    + CompatibilityTable.COMMAND + "\n");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (executor != null) {
            executor.shutdownNow();
        }
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                System.err.println("closing " + resources.get(i) + ": " + e);
            }
        }
        resources.clear();
        cells.clear();
        missing.clear();
    }
}
