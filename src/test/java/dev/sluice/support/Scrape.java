package dev.sluice.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One scrape of a {@code /metrics} endpoint, parsed from the Prometheus text format: every sample
 * with its name, labels and value, and the {@code # TYPE} of every family. Strict: a line that is
 * not a comment and not a well-formed sample fails the parse.
 */
public final class Scrape {

    public record Sample(String name, Map<String, String> labels, double value) {}

    public final String text;
    public final List<Sample> samples = new ArrayList<>();
    public final Map<String, String> types = new LinkedHashMap<>();

    private Scrape(String text) {
        this.text = text;
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ");
                types.put(parts[0], parts[1]);
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            samples.add(sample(line));
        }
    }

    public static Scrape of(URI metrics) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new AssertionError(metrics + " answered " + res.statusCode() + ": " + res.body());
        }
        return new Scrape(res.body());
    }

    public static Scrape parse(String text) {
        return new Scrape(text);
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.lastIndexOf(' ');
        if (space < 0) {
            throw new AssertionError("not a sample: " + line);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            int end = line.lastIndexOf('}');
            String body = line.substring(brace + 1, end);
            int i = 0;
            while (i < body.length()) {
                int eq = body.indexOf('=', i);
                String key = body.substring(i, eq);
                if (body.charAt(eq + 1) != '"') {
                    throw new AssertionError("label value not quoted: " + line);
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (body.charAt(j) != '"') {
                    if (body.charAt(j) == '\\') {
                        j++;
                    }
                    value.append(body.charAt(j));
                    j++;
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (i < body.length() && body.charAt(i) == ',') {
                    i++;
                }
            }
        } else {
            name = line.substring(0, space);
        }
        String v = line.substring(space + 1);
        double value = switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
        return new Sample(name, labels, value);
    }

    /** Samples of this name whose labels include all of the given name/value pairs. */
    public List<Sample> all(String name, String... labelPairs) {
        Predicate<Sample> match = s -> {
            if (!s.name.equals(name)) {
                return false;
            }
            for (int i = 0; i < labelPairs.length; i += 2) {
                if (!labelPairs[i + 1].equals(s.labels.get(labelPairs[i]))) {
                    return false;
                }
            }
            return true;
        };
        return samples.stream().filter(match).toList();
    }

    /** The value of the one sample of this name and labels; 0 when there is none (a counter not yet made). */
    public double value(String name, String... labelPairs) {
        List<Sample> found = all(name, labelPairs);
        if (found.size() > 1) {
            throw new AssertionError(found.size() + " samples of " + name + " " + List.of(labelPairs));
        }
        return found.isEmpty() ? 0 : found.get(0).value();
    }

    /** The cumulative buckets of a histogram, by upper bound ("le"), in the order exported. */
    public Map<String, Double> buckets(String histogram) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Sample s : all(histogram + "_bucket")) {
            out.put(s.labels.get("le"), s.value);
        }
        return out;
    }
}
