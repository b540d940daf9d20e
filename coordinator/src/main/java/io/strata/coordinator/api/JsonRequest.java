package io.strata.coordinator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON request body with typed accessors that refuse a wrong type with a message naming the field ("'max_tokens'
 * must be an integer, got a string"). Unknown fields are ignored, as vLLM and OpenAI's SDK users expect.
 */
public final class JsonRequest {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final ObjectNode body;
    private final String prefix;

    private JsonRequest(ObjectNode body, String prefix) {
        this.body = body;
        this.prefix = prefix;
    }

    /** Parses a body: strict UTF-8, one JSON object. */
    public static JsonRequest parse(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw ApiException.badRequest(null, "missing request body: send a JSON object");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest(null, "the request body is not valid UTF-8");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "the request body is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() : ""));
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest(null, "the request body must be a JSON object, got "
                    + (node == null ? "nothing" : kind(node)));
        }
        return new JsonRequest((ObjectNode) node, "");
    }

    /** A nested object, whose field names are reported as {@code parent.field}. */
    public static JsonRequest of(JsonNode node, String path) {
        if (!node.isObject()) {
            throw ApiException.badRequest(path, "'" + path + "' must be an object, got " + kind(node));
        }
        return new JsonRequest((ObjectNode) node, path + ".");
    }

    public ObjectNode node() { return body; }

    public boolean has(String field) {
        JsonNode v = body.get(field);
        return v != null && !v.isNull();
    }

    public JsonNode get(String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v;
    }

    public String name(String field) { return prefix + field; }

    public String requireString(String field) {
        String s = optString(field, null);
        if (s == null) {
            throw ApiException.badRequest(name(field), "'" + name(field) + "' is required");
        }
        return s;
    }

    public String optString(String field, String fallback) {
        JsonNode v = get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw wrongType(field, "a string", v);
        }
        return v.textValue();
    }

    public boolean optBoolean(String field, boolean fallback) {
        JsonNode v = get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw wrongType(field, "a boolean", v);
        }
        return v.booleanValue();
    }

    public Long optLong(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        if (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue()) && Math.abs(v.doubleValue()) < 9e15) {
            return (long) v.doubleValue();
        }
        throw wrongType(field, "an integer", v);
    }

    /** An integer in [min, max], or {@code fallback} when absent. */
    public Integer optInt(String field, int min, int max, Integer fallback) {
        Long v = optLong(field);
        if (v == null) {
            return fallback;
        }
        if (v < min || v > max) {
            throw ApiException.badRequest(name(field), "'" + name(field) + "' must be between " + min + " and " + max
                    + ", got " + v);
        }
        return v.intValue();
    }

    /** A finite number in [min, max], or {@code fallback} when absent. */
    public Double optNumber(String field, double min, double max, Double fallback) {
        JsonNode v = get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw wrongType(field, "a number", v);
        }
        double d = v.doubleValue();
        if (!(d >= min && d <= max)) {
            throw ApiException.badRequest(name(field), "'" + name(field) + "' must be between " + fmt(min) + " and "
                    + fmt(max) + ", got " + v);
        }
        return d;
    }

    /** A string or an array of strings (OpenAI's {@code stop}), at most {@code maxItems}; empty strings dropped. */
    public List<String> optStringOrArray(String field, int maxItems) {
        JsonNode v = get(field);
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v.isTextual()) {
            if (!v.textValue().isEmpty()) {
                out.add(v.textValue());
            }
            return out;
        }
        if (!v.isArray()) {
            throw wrongType(field, "a string or an array of strings", v);
        }
        if (v.size() > maxItems) {
            throw ApiException.badRequest(name(field), "'" + name(field) + "' has " + v.size() + " items; at most "
                    + maxItems + " are allowed");
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            if (!item.isTextual()) {
                throw ApiException.badRequest(name(field), "'" + name(field) + "[" + i + "]' must be a string, got "
                        + kind(item));
            }
            if (!item.textValue().isEmpty()) {
                out.add(item.textValue());
            }
        }
        return out;
    }

    public ApiException wrongType(String field, String expected, JsonNode got) {
        return ApiException.badRequest(name(field), "'" + name(field) + "' must be " + expected + ", got " + kind(got));
    }

    public static String kind(JsonNode n) {
        if (n.isTextual()) return "a string";
        if (n.isBoolean()) return "a boolean";
        if (n.isIntegralNumber()) return "an integer";
        if (n.isNumber()) return "a number";
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        if (n.isNull()) return "null";
        return n.getNodeType().toString().toLowerCase();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
