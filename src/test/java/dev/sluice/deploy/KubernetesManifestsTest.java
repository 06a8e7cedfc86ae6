package dev.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.Durations;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/k8s: every manifest is valid against the Kubernetes API's schemas, strictly (no unknown
 * field), and the manifests fit together and fit the gateway: the objects they name exist, the
 * selectors select the pods, the probes ask the gateway's health endpoints, the options and
 * variables are the gateway's, and Kubernetes waits longer than a drain takes.
 */
class KubernetesManifestsTest {

    private static final Path K8S = Tools.DEPLOY.resolve("k8s");
    private static final Map<String, Map<String, Object>> objects = new HashMap<>();
    private static List<Path> files;

    @TempDir
    Path temp;

    @BeforeAll
    static void load() throws Exception {
        try (Stream<Path> s = Files.list(K8S)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        for (Path f : files) {
            try (Reader r = Files.newBufferedReader(f)) {
                for (Object doc : new Yaml().loadAll(r)) {
                    if (doc instanceof Map<?, ?> m) {
                        Map<String, Object> o = cast(m);
                        objects.put(o.get("kind") + "/" + get(o, "metadata", "name"), o);
                    }
                }
            }
        }
    }

    @Test
    void everyManifestIsValidAgainstTheKubernetesSchemas() throws Exception {
        Tools.Result r = DeployChecks.run("k8s.mjs", files.toArray(Path[]::new));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("k8s: " + objects.size() + " documents, 0 problems");
    }

    @Test
    void theValidatorRefusesMistakes() throws Exception {
        String deployment = Files.readString(K8S.resolve("deployment.yaml"));
        Path bad = temp.resolve("bad.yaml");
        Files.writeString(bad, deployment
                .replace("terminationGracePeriodSeconds: 40", "terminationGracePeriodSecond: 40")
                .replace("containerPort: 8080", "containerPort: \"8080\"")
                + "---\napiVersion: policy/v1\nkind: PodDisruptionBudgets\nmetadata:\n  name: x\n");
        Tools.Result r = DeployChecks.run("k8s.mjs", bad);
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("unknown field \"terminationGracePeriodSecond\"")
                .contains("containerPort must be integer")
                .contains("PodDisruptionBudgets is not a Kubernetes API object");
    }

    @Test
    void kubernetesWaitsLongerThanADrainTakes() throws Exception {
        Map<String, Object> pod = podSpec();
        List<String> args = stringList(container(), "args");
        Duration drain = option(args, "drain-delay").plus(option(args, "drain-period"));
        int grace = (Integer) pod.get("terminationGracePeriodSeconds");
        assertThat(Duration.ofSeconds(grace)).as("terminationGracePeriodSeconds against the longest drain")
                .isGreaterThan(ServeOptionNames.longestStop(drain));
    }

    @Test
    void optionsAndVariablesAreTheGateways() throws Exception {
        List<String> args = stringList(container(), "args");
        assertThat(args.get(0)).isEqualTo("serve");
        for (String a : args.subList(1, args.size())) {
            assertThat(a).startsWith("--");
            assertThat(ServeOptionNames.options()).as("serve option of " + a)
                    .contains(a.substring(2).replaceFirst("=.*", ""));
        }
        List<String> variables = new ArrayList<>();
        variables.addAll(cast(objects.get("ConfigMap/sluice").get("data")).keySet());
        variables.addAll(cast(objects.get("Secret/sluice-keys").get("stringData")).keySet());
        for (Map<String, Object> e : maps(container(), "env")) {
            variables.add((String) e.get("name"));
        }
        for (String v : variables) {
            assertThat(ServeOptionNames.isOptionVariable(v) || ServeOptionNames.isLauncherVariable(v))
                    .as(v + " is a serve option's variable").isTrue();
        }
    }

    @Test
    void objectsNamedExistAndSelectorsSelectThePods() {
        Map<String, Object> deployment = objects.get("Deployment/sluice");
        Map<String, Object> labels = cast(get(deployment, "spec", "template", "metadata", "labels"));
        assertThat(cast(get(deployment, "spec", "selector", "matchLabels"))).isEqualTo(labels);
        assertThat(cast(get(objects.get("Service/sluice"), "spec", "selector"))).isEqualTo(labels);
        assertThat(cast(get(objects.get("PodDisruptionBudget/sluice"), "spec", "selector", "matchLabels")))
                .isEqualTo(labels);
        List<Map<String, Object>> antiAffinity = maps(cast(get(podSpec(), "affinity", "podAntiAffinity")),
                "preferredDuringSchedulingIgnoredDuringExecution");
        assertThat(antiAffinity).isNotEmpty();
        assertThat(cast(get(antiAffinity.get(0), "podAffinityTerm", "labelSelector", "matchLabels"))).isEqualTo(labels);
        for (Map<String, Object> from : maps(container(), "envFrom")) {
            if (from.containsKey("configMapRef")) {
                assertThat(objects).containsKey("ConfigMap/" + get(from, "configMapRef", "name"));
            } else {
                assertThat(objects).containsKey("Secret/" + get(from, "secretRef", "name"));
            }
        }
        Map<String, Object> target = cast(get(objects.get("HorizontalPodAutoscaler/sluice"), "spec", "scaleTargetRef"));
        assertThat(objects).containsKey(target.get("kind") + "/" + target.get("name"));
        Map<String, Object> port = maps(container(), "ports").get(0);
        assertThat(get(objects.get("Service/sluice"), "spec", "ports")).asList().hasSize(1);
        Map<String, Object> servicePort = maps(cast(objects.get("Service/sluice").get("spec")), "ports").get(0);
        assertThat(servicePort.get("targetPort")).isEqualTo(port.get("name"));
    }

    @Test
    void probesAskTheHealthEndpoints() {
        Map<String, Object> c = container();
        assertThat(get(c, "readinessProbe", "httpGet", "path")).isEqualTo("/readyz");
        assertThat(get(c, "livenessProbe", "httpGet", "path")).isEqualTo("/healthz");
        assertThat(get(c, "startupProbe", "httpGet", "path")).isEqualTo("/healthz");
        assertThat(get(c, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(get(podSpec(), "securityContext", "runAsNonRoot")).isEqualTo(true);
    }

    /** The custom metric the autoscaler scales on; MonitoringFilesTest checks the gateway exports it. */
    static List<String> autoscalerMetrics() throws Exception {
        if (objects.isEmpty()) {
            load();
        }
        List<String> names = new ArrayList<>();
        for (Map<String, Object> m : maps(cast(objects.get("HorizontalPodAutoscaler/sluice").get("spec")), "metrics")) {
            if ("Pods".equals(m.get("type"))) {
                names.add((String) get(m, "pods", "metric", "name"));
            }
        }
        return names;
    }

    private static Duration option(List<String> args, String name) {
        return args.stream().filter(a -> a.startsWith("--" + name + "=")).findFirst()
                .map(a -> Durations.parse(a.substring(a.indexOf('=') + 1)))
                .orElseThrow(() -> new AssertionError("no --" + name + " in " + args));
    }

    private static Map<String, Object> podSpec() {
        return cast(get(objects.get("Deployment/sluice"), "spec", "template", "spec"));
    }

    private static Map<String, Object> container() {
        return maps(podSpec(), "containers").get(0);
    }

    static Object get(Map<String, Object> m, String... path) {
        Object o = m;
        for (String p : path) {
            assertThat(o).as("." + String.join(".", path)).isInstanceOf(Map.class);
            o = ((Map<?, ?>) o).get(p);
        }
        return o;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Map<String, Object> m, String key) {
        return (List<Map<String, Object>>) m.get(key);
    }

    @SuppressWarnings("unchecked")
    private static List<String> stringList(Map<String, Object> m, String key) {
        return (List<String>) m.get(key);
    }
}
