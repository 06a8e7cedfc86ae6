package dev.sluice.deploy;

import static dev.sluice.deploy.KubernetesManifestsTest.cast;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.RedisServer;
import dev.sluice.support.TestHub;
import java.io.Reader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The Prometheus alert rules (deploy/prometheus) and the Grafana dashboard (deploy/grafana): the
 * rules pass {@code promtool check rules} and their own {@code promtool test rules} cases, the
 * dashboard's queries parse as PromQL, and every metric they (and the autoscaler) name is one a
 * running gateway exports, with the label values they select.
 */
class MonitoringFilesTest {

    private static final Path RULES = Tools.DEPLOY.resolve("prometheus/sluice-rules.yaml");
    private static final Path RULE_TESTS = Tools.DEPLOY.resolve("prometheus/sluice-rules.test.yaml");
    private static final Path DASHBOARD = Tools.DEPLOY.resolve("grafana/sluice.json");
    /** Metric families of the gateway: Micrometer's jvm, process and system binders and its own. */
    private static final Pattern METRIC = Pattern.compile("\\b(?:sluice|jvm|process|system)_[a-z0-9_]+\\b");
    private static final Pattern SELECTOR = Pattern.compile("\\b([a-z][a-z0-9_]*)\\{([^}]*)}");
    private static final Pattern EQUALS = Pattern.compile("([a-z_]+)\\s*=\\s*\"([^\"]*)\"");

    @TempDir
    Path temp;

    @Test
    void promtoolAcceptsTheRulesAndTheirTestsPass() throws Exception {
        Path promtool = Tools.require("promtool", "prometheus");
        Tools.Result check = Tools.run(Duration.ofMinutes(1), List.of(promtool.toString(), "check", "rules", RULES.toString()));
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + ruleExpressions().size() + " rules found");
        Tools.Result test = Tools.run(Duration.ofMinutes(1), Tools.DEPLOY.resolve("prometheus"), Map.of(),
                List.of(promtool.toString(), "test", "rules", RULE_TESTS.getFileName().toString()));
        assertThat(test.exit()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");

        Path broken = temp.resolve("broken.yaml");
        Files.writeString(broken, Files.readString(RULES).replace("sluice_transport_ready == 0", "sluice_transport_ready ==="));
        Tools.Result refused = Tools.run(Duration.ofMinutes(1), List.of(promtool.toString(), "check", "rules", broken.toString()));
        assertThat(refused.exit()).as(refused.output()).isNotZero();
    }

    @Test
    void theDashboardsQueriesAreValidPromQl() throws Exception {
        Path promtool = Tools.require("promtool", "prometheus");
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        List<String> queries = dashboardQueries();
        for (int i = 0; i < queries.size(); i++) {
            // Grafana's variables, as Grafana would fill them in
            String promql = queries.get(i).replace("$__rate_interval", "5m").replace("$instance", ".*");
            rules.append("      - record: dashboard:query_").append(i).append("\n        expr: '")
                    .append(promql.replace("'", "''")).append("'\n");
        }
        Path file = temp.resolve("dashboard-queries.yaml");
        Files.writeString(file, rules);
        Tools.Result r = Tools.run(Duration.ofMinutes(1), List.of(promtool.toString(), "check", "rules", file.toString()));
        assertThat(r.exit()).as(r.output() + "\n" + rules).isZero();
        assertThat(r.output()).contains("SUCCESS: " + queries.size() + " rules found");
    }

    @Test
    void theDashboardIsWellFormed() throws Exception {
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(d.path("uid").asText()).isEqualTo("sluice");
        Set<Integer> ids = new LinkedHashSet<>();
        for (JsonNode p : d.path("panels")) {
            assertThat(ids.add(p.path("id").asInt())).as("panel id " + p.path("id") + " is unique").isTrue();
            assertThat(p.path("gridPos").path("w").asInt()).isBetween(1, 24);
            Set<String> refs = new LinkedHashSet<>();
            for (JsonNode t : p.path("targets")) {
                assertThat(refs.add(t.path("refId").asText())).isTrue();
                assertThat(t.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            }
        }
        assertThat(dashboardQueries()).hasSizeGreaterThan(15);
    }

    @Test
    void everyMetricTheyNameIsExportedByAGateway() throws Exception {
        Map<String, List<Map<String, String>>> exported;
        try (RedisServer redis = RedisServer.start(false);
             GatewayProcess gateway = GatewayProcess.launch(List.of(), redis.url())) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> publish = http.send(HttpRequest.newBuilder(gateway.hubUrl())
                    .header("Authorization", "Bearer " + TestHub.publisher())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(TestHub.form("topic", "https://example.com/t", "data", "x")))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(publish.statusCode()).as(publish.body()).isEqualTo(200);
            String metrics = http.send(HttpRequest.newBuilder(gateway.url("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            exported = parseExposition(metrics);
        }
        Map<String, List<String>> named = new HashMap<>();
        ruleExpressions().forEach(e -> named.computeIfAbsent(e, k -> new ArrayList<>()).add("alert rules"));
        dashboardQueries().forEach(e -> named.computeIfAbsent(e, k -> new ArrayList<>()).add("dashboard"));
        for (String m : KubernetesManifestsTest.autoscalerMetrics()) {
            named.computeIfAbsent(m, k -> new ArrayList<>()).add("autoscaler");
        }
        int checked = 0;
        for (var e : named.entrySet()) {
            String expr = e.getKey();
            Matcher metric = METRIC.matcher(expr);
            boolean any = false;
            while (metric.find()) {
                any = true;
                checked++;
                assertThat(exported).as(e.getValue() + ": " + expr + " names " + metric.group()).containsKey(metric.group());
            }
            assertThat(any).as(e.getValue() + ": " + expr + " names no metric of the gateway").isTrue();
            Matcher selector = SELECTOR.matcher(expr);
            while (selector.find()) {
                Matcher eq = EQUALS.matcher(selector.group(2));
                while (eq.find()) {
                    String label = eq.group(1);
                    String value = eq.group(2);
                    assertThat(exported.get(selector.group(1))).as(e.getValue() + ": " + expr + " selects "
                            + label + "=\"" + value + "\" of " + selector.group(1))
                            .anyMatch(series -> value.equals(series.get(label)));
                }
            }
        }
        assertThat(checked).isGreaterThan(30);
    }

    /** Metric name to the label sets of its series, from Prometheus's text format. */
    static Map<String, List<Map<String, String>>> parseExposition(String text) {
        Map<String, List<Map<String, String>>> out = new HashMap<>();
        Pattern line = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s");
        Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
        for (String l : text.split("\n")) {
            Matcher m = line.matcher(l);
            if (l.startsWith("#") || !m.find()) {
                continue;
            }
            Map<String, String> labels = new HashMap<>();
            if (m.group(3) != null) {
                Matcher lm = label.matcher(m.group(3));
                while (lm.find()) {
                    labels.put(lm.group(1), lm.group(2));
                }
            }
            out.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(labels);
        }
        return out;
    }

    static List<String> ruleExpressions() throws Exception {
        List<String> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(RULES)) {
            Map<String, Object> doc = cast(new Yaml().load(r));
            for (Object g : (List<?>) doc.get("groups")) {
                for (Object rule : (List<?>) cast(g).get("rules")) {
                    out.add(((String) cast(rule).get("expr")).strip());
                }
            }
        }
        return out;
    }

    static List<String> dashboardQueries() throws Exception {
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> out = new ArrayList<>();
        for (JsonNode p : d.path("panels")) {
            for (JsonNode t : p.path("targets")) {
                out.add(t.path("expr").asText());
            }
        }
        for (JsonNode v : d.path("templating").path("list")) {
            String q = v.path("query").path("query").asText("");
            Matcher m = Pattern.compile("label_values\\((\\w+),").matcher(q);
            if (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }
}
