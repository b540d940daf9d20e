package io.strata.model.hf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads the JSON files of a Hugging Face model directory with bounds: a file larger than {@link #MAX_BYTES} is
 * refused before it is read (the largest real tokenizer.json files are a few tens of MB), and nesting is limited,
 * so a hostile directory cannot exhaust the heap. Field accessors report a wrong type as a
 * {@link ModelFormatException} naming the file and the field.
 */
final class HfJson {
    static final long MAX_BYTES = 128L << 20;
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build());

    private HfJson() {
    }

    /** The parsed file, or empty when it does not exist. */
    static Optional<JsonNode> readOptional(final Path file) {
        return Files.exists(file) ? Optional.of(read(file)) : Optional.empty();
    }

    static JsonNode read(final Path file) {
        try {
            final long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new ModelFormatException(file, "file", ModelFormatException.NO_OFFSET, "is " + size
                        + " bytes, more than the " + MAX_BYTES + " a model's JSON file may have: corrupt or not a model file");
            }
            final JsonNode n = MAPPER.readTree(file.toFile());
            if (n == null || !n.isObject()) {
                throw new ModelFormatException(file, "file", ModelFormatException.NO_OFFSET, "must hold a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            final long at = e.getLocation() == null ? ModelFormatException.NO_OFFSET : e.getLocation().getByteOffset();
            throw new ModelFormatException(file, "JSON", at, "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelFormatException(file, "file", ModelFormatException.NO_OFFSET, "cannot read: " + e.getMessage());
        }
    }

    /** Typed access to one JSON object's fields, with errors that name the file and the field. */
    record Fields(Path file, JsonNode node) {

        boolean has(final String key) {
            final JsonNode v = node.get(key);
            return v != null && !v.isNull();
        }

        JsonNode get(final String key) {
            final JsonNode v = node.get(key);
            return v == null || v.isNull() ? null : v;
        }

        int positiveInt(final String key) {
            final JsonNode v = get(key);
            if (v == null) {
                throw error(key, "required field is missing");
            }
            return positive(key, v);
        }

        int positiveInt(final String key, final int fallback) {
            final JsonNode v = get(key);
            return v == null ? fallback : positive(key, v);
        }

        private int positive(final String key, final JsonNode v) {
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() <= 0) {
                throw error(key, "must be a positive integer, found " + shown(v));
            }
            return v.intValue();
        }

        double number(final String key, final double fallback) {
            final JsonNode v = get(key);
            if (v == null) {
                return fallback;
            }
            if (!v.isNumber()) {
                throw error(key, "must be a number, found " + shown(v));
            }
            return v.doubleValue();
        }

        boolean bool(final String key, final boolean fallback) {
            final JsonNode v = get(key);
            if (v == null) {
                return fallback;
            }
            if (!v.isBoolean()) {
                throw error(key, "must be true or false, found " + shown(v));
            }
            return v.booleanValue();
        }

        String string(final String key, final String fallback) {
            final JsonNode v = get(key);
            if (v == null) {
                return fallback;
            }
            if (!v.isTextual()) {
                throw error(key, "must be a string, found " + shown(v));
            }
            return v.textValue();
        }

        ModelFormatException error(final String key, final String problem) {
            return new ModelFormatException(file, "'" + key + "'", ModelFormatException.NO_OFFSET, problem);
        }
    }

    static String shown(final JsonNode v) {
        final String s = v.toString();
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
