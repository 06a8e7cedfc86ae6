package dev.sluice.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The URL pattern matcher against the Web Platform Tests' URL Pattern data
 * ({@code src/test/resources/wpt/urlpattern}, BSD-3-Clause, kept unmodified), run the way the WPT
 * harness runs it: construct the pattern (or expect a TypeError), then {@code exec} every input
 * and compare each component's input and groups.
 *
 * <p>What is not checked, and why:
 * <ul>
 *   <li>{@code expected_obj} strings (the pattern's component getters, such as
 *       {@code pattern.pathname}): Sluice never shows a compiled pattern back, it only matches.
 *       An entry whose {@code expected_obj} is {@code "error"} is checked: compiling must fail.</li>
 *   <li>Entries the data itself marks {@code skip} (ECMAScript-only regular expressions).</li>
 *   <li>The entries in {@link #KNOWN_DIVERGENCES}, each with its reason. Those are asserted to
 *       still diverge, so an entry that starts passing fails this test until it is removed from
 *       the list: the list cannot silently grow stale.</li>
 * </ul>
 */
class UrlPatternWptTest {

    /** Entry index in the data file → why Sluice's matcher answers differently from a browser. */
    static final Map<Integer, String> KNOWN_DIVERGENCES = Map.of();

    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode data() throws IOException {
        try (InputStream in = UrlPatternWptTest.class.getResourceAsStream("/wpt/urlpattern/urlpatterntestdata.json")) {
            return JSON.readTree(in);
        }
    }

    @TestFactory
    Stream<DynamicTest> webPlatformTests() throws IOException {
        JsonNode data = data();
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            JsonNode entry = data.get(i);
            if (entry.has("skip")) {
                continue;
            }
            int index = i;
            String name = "#" + i + " " + entry.get("pattern") + " " + entry.path("inputs");
            String divergence = KNOWN_DIVERGENCES.get(i);
            if (divergence == null) {
                tests.add(DynamicTest.dynamicTest(name, () -> check(entry)));
            } else {
                tests.add(DynamicTest.dynamicTest(name + " (known divergence: " + divergence + ")", () -> {
                    boolean passes;
                    try {
                        check(entry);
                        passes = true;
                    } catch (AssertionError | RuntimeException diverges) {
                        passes = false;
                    }
                    assertThat(passes)
                            .as("entry #%d now matches the browser: remove it from KNOWN_DIVERGENCES", index)
                            .isFalse();
                }));
            }
        }
        return tests.stream();
    }

    /** Runs one entry as the WPT harness does; throws when Sluice's answer differs. */
    static void check(JsonNode entry) {
        JsonNode args = entry.get("pattern");
        boolean expectError = "error".equals(entry.path("expected_obj").asText(null));
        if (expectError) {
            assertThatThrownBy(() -> construct(args)).isInstanceOf(IllegalArgumentException.class);
            return;
        }
        UrlPattern pattern = construct(args);
        JsonNode inputs = entry.get("inputs");
        if (inputs == null) {
            return;
        }
        JsonNode expected = entry.get("expected_match");
        if (expected != null && expected.isTextual() && expected.asText().equals("error")) {
            assertThatThrownBy(() -> exec(pattern, inputs)).isInstanceOf(IllegalArgumentException.class);
            return;
        }
        Map<String, UrlPattern.ComponentResult> result = exec(pattern, inputs);
        if (expected == null || expected.isNull()) {
            assertThat(result).as("no match expected").isNull();
            return;
        }
        assertThat(result).as("a match expected").isNotNull();
        List<String> exactlyEmpty = new ArrayList<>();
        entry.path("exactly_empty_components").forEach(n -> exactlyEmpty.add(n.asText()));
        for (String component : UrlPattern.COMPONENTS) {
            JsonNode want = expected.get(component);
            String wantInput = "";
            Map<String, String> wantGroups = new LinkedHashMap<>();
            if (want == null) {
                if (!exactlyEmpty.contains(component)) {
                    wantGroups.put("0", "");
                }
            } else {
                wantInput = want.get("input").asText();
                Iterator<Map.Entry<String, JsonNode>> fields = want.get("groups").fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> f = fields.next();
                    wantGroups.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().asText());
                }
            }
            UrlPattern.ComponentResult got = result.get(component);
            assertThat(got.input()).as("%s input", component).isEqualTo(wantInput);
            assertThat(got.groups()).as("%s groups", component).isEqualTo(wantGroups);
        }
    }

    /**
     * {@code new URLPattern(...args)}: (input), (input, baseURL), (input, options) or
     * (input, baseURL, options), with WebIDL's overload rules: no argument is an empty init, and
     * unknown members of an init dictionary are ignored.
     */
    static UrlPattern construct(JsonNode args) {
        JsonNode input = args.size() == 0 ? JSON.createObjectNode() : args.get(0);
        String baseUrl = null;
        JsonNode options = null;
        if (args.size() == 2) {
            if (args.get(1).isTextual()) {
                baseUrl = args.get(1).asText();
            } else {
                options = args.get(1);
            }
        } else if (args.size() == 3) {
            if (!args.get(1).isTextual() || !args.get(2).isObject()) {
                throw new IllegalArgumentException("URLPattern(input, baseURL, options) needs a string base URL");
            }
            baseUrl = args.get(1).asText();
            options = args.get(2);
        }
        boolean ignoreCase = options != null && options.path("ignoreCase").asBoolean(false);
        if (input.isTextual()) {
            return UrlPattern.compile(input.asText(), baseUrl, ignoreCase);
        }
        if (baseUrl != null) {
            throw new IllegalArgumentException("a base URL cannot be given with URL components");
        }
        return UrlPattern.compile(toMap(input), ignoreCase);
    }

    static Map<String, UrlPattern.ComponentResult> exec(UrlPattern pattern, JsonNode inputs) {
        JsonNode input = inputs.size() == 0 ? JSON.createObjectNode() : inputs.get(0);
        String baseUrl = inputs.size() > 1 ? inputs.get(1).asText() : null;
        if (input.isTextual()) {
            return pattern.exec(input.asText(), baseUrl);
        }
        return pattern.exec(toMap(input), baseUrl);
    }

    static Map<String, String> toMap(JsonNode object) {
        Map<String, String> map = new LinkedHashMap<>();
        object.fields().forEachRemaining(f -> map.put(f.getKey(), f.getValue().asText()));
        return map;
    }
}
