package io.strata.model.modelfile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A model's default parameters, as the {@code application/vnd.ollama.image.params} layer holds them: a JSON object
 * with sorted keys, numbers typed ({@link Long} or {@link Double}), {@code stop} an array of strings.
 */
public record ModelParameters(SortedMap<String, Object> values) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final ModelParameters NONE = new ModelParameters(new TreeMap<>());

    public ModelParameters {
        values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
    }

    public boolean isEmpty() { return values.isEmpty(); }

    public Optional<Double> number(final Parameter p) {
        return Optional.ofNullable(values.get(p.ollamaName())).filter(Number.class::isInstance)
                .map(v -> ((Number) v).doubleValue());
    }

    @SuppressWarnings("unchecked")
    public List<String> stop() {
        final Object v = values.get(Parameter.STOP.ollamaName());
        return v instanceof List<?> l ? (List<String>) l : List.of();
    }

    /** These parameters with {@code overrides}' values put over them, key by key (a Modelfile over its FROM model). */
    public ModelParameters with(final ModelParameters overrides) {
        final TreeMap<String, Object> merged = new TreeMap<>(values);
        merged.putAll(overrides.values);
        return new ModelParameters(merged);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One {@code name value} line per value (stop strings quoted, one line each), as Ollama's show prints them. */
    public String toText() {
        final StringBuilder b = new StringBuilder();
        values.forEach((k, v) -> {
            if (v instanceof List<?> l) {
                l.forEach(s -> b.append(k).append(' ').append(quote(String.valueOf(s))).append('\n'));
            } else {
                b.append(k).append(' ').append(v).append('\n');
            }
        });
        return b.toString();
    }

    static String quote(final String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    /**
     * Reads a params layer. Known names must have their type; names Strata does not know (a model made by Ollama may
     * carry {@code num_keep}) are kept as JSON scalars or arrays so that nothing is lost.
     */
    public static ModelParameters fromJson(final String json, final String source) {
        final JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": parameters are not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": parameters are not a JSON object");
        }
        final TreeMap<String, Object> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            final Optional<Parameter> p = Parameter.byName(e.getKey());
            final JsonNode v = e.getValue();
            if (p.isEmpty()) {
                out.put(e.getKey(), JSON.convertValue(v, Object.class));
                continue;
            }
            switch (p.get().kind()) {
                case STRINGS -> {
                    final List<String> list = new ArrayList<>();
                    if (v.isTextual()) {
                        list.add(v.asText());
                    } else if (v.isArray()) {
                        v.forEach(s -> {
                            if (!s.isTextual()) {
                                throw new IllegalArgumentException(source + ": " + e.getKey() + " holds a non-string");
                            }
                            list.add(s.asText());
                        });
                    } else {
                        throw new IllegalArgumentException(source + ": " + e.getKey() + " is not a string array");
                    }
                    out.put(e.getKey(), List.copyOf(list));
                }
                case INT -> {
                    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
                        throw new IllegalArgumentException(source + ": " + e.getKey() + " is not an integer: " + v);
                    }
                    out.put(e.getKey(), v.asLong());
                }
                case FLOAT -> {
                    if (!v.isNumber()) {
                        throw new IllegalArgumentException(source + ": " + e.getKey() + " is not a number: " + v);
                    }
                    out.put(e.getKey(), v.asDouble());
                }
            }
        }
        return new ModelParameters(out);
    }
}
