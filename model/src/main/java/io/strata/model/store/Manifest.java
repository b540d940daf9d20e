package io.strata.model.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Docker v2 schema-2 manifest as Ollama writes it: a config blob and the layers. Stored and hashed as exact bytes
 * ({@link #toBytes()} is the one serialisation this project writes; {@link #parse} accepts any that has the fields).
 */
public record Manifest(Layer config, List<Layer> layers) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Manifest {
        layers = List.copyOf(layers);
    }

    /** The first layer of this media type. */
    public Optional<Layer> layer(final String mediaType) {
        return layers.stream().filter(l -> l.mediaType().equals(mediaType)).findFirst();
    }

    public List<Layer> layers(final String mediaType) {
        return layers.stream().filter(l -> l.mediaType().equals(mediaType)).toList();
    }

    /** The sum of the config and layer sizes ({@code size} in Ollama's {@code /api/tags}). */
    public long totalSize() {
        return config.size() + layers.stream().mapToLong(Layer::size).sum();
    }

    /** This manifest without the layers of {@code mediaType}, with {@code replacement} appended when not null. */
    public Manifest replacing(final String mediaType, final Layer replacement) {
        final List<Layer> kept = new ArrayList<>(layers.stream().filter(l -> !l.mediaType().equals(mediaType)).toList());
        if (replacement != null) {
            kept.add(replacement);
        }
        return new Manifest(config, kept);
    }

    public byte[] toBytes() {
        final ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaTypes.MANIFEST);
        root.set("config", layerJson(config));
        final ArrayNode array = root.putArray("layers");
        layers.forEach(l -> array.add(layerJson(l)));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads a manifest; {@code source} (a file name) appears in the error, which names the field that is missing or
     * wrong.
     */
    public static Manifest parse(final byte[] bytes, final String source) {
        final JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new ManifestException(source, "not JSON (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) {
            throw new ManifestException(source, "not a JSON object");
        }
        final JsonNode version = root.get("schemaVersion");
        if (version == null || !version.canConvertToInt() || version.asInt() != 2) {
            throw new ManifestException(source, "schemaVersion is " + version + ", expected 2");
        }
        final Layer config = layer(root.get("config"), "config", source);
        final JsonNode array = root.get("layers");
        if (array == null || !array.isArray()) {
            throw new ManifestException(source, "layers is missing or not an array");
        }
        final List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            layers.add(layer(array.get(i), "layers[" + i + "]", source));
        }
        return new Manifest(config, layers);
    }

    private static Layer layer(final JsonNode node, final String field, final String source) {
        if (node == null || !node.isObject()) {
            throw new ManifestException(source, field + " is missing or not an object");
        }
        final JsonNode type = node.get("mediaType");
        final JsonNode digest = node.get("digest");
        final JsonNode size = node.get("size");
        if (type == null || !type.isTextual()) {
            throw new ManifestException(source, field + ".mediaType is missing or not a string");
        }
        if (digest == null || !digest.isTextual()) {
            throw new ManifestException(source, field + ".digest is missing or not a string");
        }
        if (size == null || !size.canConvertToLong() || size.asLong() < 0) {
            throw new ManifestException(source, field + ".size is missing or not a non-negative integer");
        }
        try {
            return new Layer(type.asText(), Digest.parse(digest.asText()), size.asLong());
        } catch (IllegalArgumentException e) {
            throw new ManifestException(source, field + ".digest: " + e.getMessage());
        }
    }

    private static ObjectNode layerJson(final Layer l) {
        final ObjectNode n = JSON.createObjectNode();
        n.put("mediaType", l.mediaType());
        n.put("digest", l.digest().toString());
        n.put("size", l.size());
        return n;
    }

    /** Convenience for tests and tools: the manifest bytes as text. */
    public String toJson() {
        return new String(toBytes(), StandardCharsets.UTF_8);
    }
}
