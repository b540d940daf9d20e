package io.strata.model.remote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.model.store.Digest;
import io.strata.model.store.Layer;
import io.strata.model.store.Manifest;
import io.strata.model.store.ManifestException;
import io.strata.model.store.MediaTypes;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A stored model as an OCI artifact, and the other way round.
 *
 * <p>Pushed: an OCI image manifest with {@code artifactType} {@value MediaTypes#MODELPACK_ARTIFACT}, a ModelPack
 * config blob ({@value MediaTypes#MODELPACK_CONFIG}), the GGUF as a raw ModelPack weight layer
 * ({@value MediaTypes#MODELPACK_WEIGHT_RAW}, annotated {@code org.cncf.model.filepath: model.gguf}) and the model's
 * template, system prompt, parameters, messages and license as layers of their Ollama media types, so a ModelPack
 * reader finds the weights and Strata or Ollama-aware tools find the rest.
 *
 * <p>Pulled: an Ollama-style manifest (Docker v2 config, {@code application/vnd.ollama.image.*} layers) is kept as
 * it is; otherwise each layer is mapped ({@link #storeType}): a ModelPack or Docker Model Runner GGUF weight becomes
 * the model layer, Ollama layers stay, a Docker Model Runner license becomes the license, and other layers are left
 * behind. Indexes, container images (tar layers) and split GGUFs are refused, each with its reason.
 */
final class OciArtifact {
    static final String WEIGHT_FILE = "model.gguf";
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciArtifact() {
    }

    /** A layer of a fetched manifest with its annotations. */
    record RemoteLayer(Layer layer, Map<String, String> annotations) {
        /** The file name the layer says it holds, or "". */
        String fileName() {
            return annotations.getOrDefault(MediaTypes.ANNOTATION_FILEPATH, annotations.getOrDefault(MediaTypes.ANNOTATION_TITLE, ""));
        }
    }

    /** A fetched image manifest: its media type, artifact type (may be null), config and layers. */
    record Remote(String mediaType, String artifactType, Layer config, List<RemoteLayer> layers) {
        /** Ollama's own layout: Docker's config type and Ollama layers only. */
        boolean ollamaLayout() {
            return config.mediaType().equals(MediaTypes.CONFIG) && !layers.isEmpty()
                    && layers.stream().allMatch(l -> l.layer().mediaType().startsWith(MediaTypes.OLLAMA_LAYER_PREFIX));
        }
    }

    /** The manifest, artifact type and config a push writes. */
    record Pushed(byte[] manifest, byte[] config, Layer configLayer, List<Layer> layers) {}

    /**
     * Reads a manifest a registry sent. {@code contentType} is the response's; the JSON's own {@code mediaType} wins
     * when present. An index or manifest list is refused here.
     */
    static Remote parse(final byte[] bytes, final String contentType, final String source) {
        final JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new ManifestException(source, "not JSON (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) {
            throw new ManifestException(source, "not a JSON object");
        }
        final String type = root.path("mediaType").asText(contentType);
        if (type.equals(MediaTypes.OCI_INDEX) || type.equals(MediaTypes.DOCKER_MANIFEST_LIST) || root.has("manifests")) {
            throw new TransferException(source + " is an image index (several manifests, " + type + "); Strata pulls"
                    + " a single model manifest: name one of its manifests by digest (oci://REGISTRY/REPO@sha256:...)");
        }
        final Manifest m = Manifest.parse(bytes, source); // validates schemaVersion, config and every layer
        final List<RemoteLayer> layers = new ArrayList<>();
        final JsonNode array = root.get("layers");
        for (int i = 0; i < m.layers().size(); i++) {
            final Map<String, String> annotations = new LinkedHashMap<>();
            final JsonNode a = array.get(i).get("annotations");
            if (a != null && a.isObject()) {
                a.properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
            }
            layers.add(new RemoteLayer(m.layers().get(i), Map.copyOf(annotations)));
        }
        final JsonNode artifact = root.get("artifactType");
        return new Remote(type, artifact == null || artifact.isNull() ? null : artifact.asText(), m.config(), List.copyOf(layers));
    }

    /** The store media type a remote layer becomes, or empty when the store has no use for it. */
    static Optional<String> storeType(final RemoteLayer l) {
        final String t = l.layer().mediaType();
        if (t.startsWith(MediaTypes.OLLAMA_LAYER_PREFIX)) {
            return Optional.of(t);
        }
        if (t.equals(MediaTypes.DOCKER_AI_GGUF) || t.equals(MediaTypes.MODELPACK_WEIGHT_GGUF)) {
            return Optional.of(MediaTypes.MODEL);
        }
        if (t.equals(MediaTypes.MODELPACK_WEIGHT_RAW)) {
            final String file = l.fileName().toLowerCase(Locale.ROOT);
            return file.isEmpty() || file.endsWith(".gguf") ? Optional.of(MediaTypes.MODEL) : Optional.empty();
        }
        if (t.equals(MediaTypes.DOCKER_AI_LICENSE)) {
            return Optional.of(MediaTypes.LICENSE);
        }
        return Optional.empty();
    }

    /**
     * The layers of a pulled non-Ollama manifest as store layers (without a config: the puller writes one from the
     * GGUF). Refuses a manifest with no GGUF layer, or more than one.
     */
    static List<Layer> storeLayers(final Remote remote, final String source) {
        final List<Layer> out = new ArrayList<>();
        for (RemoteLayer l : remote.layers()) {
            storeType(l).ifPresent(type -> out.add(new Layer(type, l.layer().digest(), l.layer().size())));
        }
        final long models = out.stream().filter(l -> l.mediaType().equals(MediaTypes.MODEL)).count();
        if (models > 1) {
            throw new TransferException(source + " has " + models + " GGUF layers (a split GGUF?); Strata pulls a model"
                    + " held in one GGUF file");
        }
        if (models == 0) {
            final boolean image = remote.layers().stream().map(l -> l.layer().mediaType())
                    .anyMatch(t -> t.startsWith(MediaTypes.OCI_LAYER_TAR_PREFIX) || t.startsWith(MediaTypes.DOCKER_LAYER_TAR_PREFIX));
            throw new TransferException(source + (image
                    ? " is a container image (tar layers), not a model artifact; Strata pulls model artifacts"
                    + " (ModelPack, Docker Model Runner or Ollama layouts)"
                    : " has no GGUF layer (its layers are " + remote.layers().stream().map(l -> l.layer().mediaType()).distinct().toList()
                    + "; artifact type " + remote.artifactType() + ")"));
        }
        return List.copyOf(out);
    }

    /**
     * What {@code strata push} sends for a stored manifest: the model layer as a ModelPack weight, the other layers
     * as they are, a ModelPack config built from the model's Ollama config ({@code ollamaConfig}, may be empty).
     */
    static Pushed forPush(final Manifest stored, final Map<String, Object> ollamaConfig, final String name) {
        final List<Layer> layers = new ArrayList<>();
        final ArrayNode layerJson = JSON.createArrayNode();
        for (Layer l : stored.layers()) {
            final boolean model = l.mediaType().equals(MediaTypes.MODEL);
            final Layer pushed = model ? new Layer(MediaTypes.MODELPACK_WEIGHT_RAW, l.digest(), l.size()) : l;
            layers.add(pushed);
            final ObjectNode n = descriptor(pushed);
            if (model) {
                n.putObject("annotations").put(MediaTypes.ANNOTATION_FILEPATH, WEIGHT_FILE)
                        .put(MediaTypes.ANNOTATION_TITLE, WEIGHT_FILE);
            }
            layerJson.add(n);
        }
        final ObjectNode config = JSON.createObjectNode();
        config.putObject("descriptor").put("name", name);
        final ObjectNode c = config.putObject("config");
        c.put("format", "gguf");
        putIfText(c, "architecture", ollamaConfig.get("model_family"));
        putIfText(c, "paramSize", ollamaConfig.get("model_type"));
        putIfText(c, "quantization", ollamaConfig.get("file_type"));
        final ObjectNode fs = config.putObject("modelfs");
        fs.put("type", "layers");
        final ArrayNode diffIds = fs.putArray("diffIds");
        layers.forEach(l -> diffIds.add(l.digest().toString())); // uncompressed layers: the diff id is the digest
        final byte[] configBytes = bytes(config);
        final Layer configLayer = new Layer(MediaTypes.MODELPACK_CONFIG, Digest.of(configBytes), configBytes.length);

        final ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaTypes.OCI_MANIFEST);
        root.put("artifactType", MediaTypes.MODELPACK_ARTIFACT);
        root.set("config", descriptor(configLayer));
        root.set("layers", layerJson);
        return new Pushed(bytes(root), configBytes, configLayer, List.copyOf(layers));
    }

    private static void putIfText(final ObjectNode n, final String field, final Object value) {
        if (value instanceof String s && !s.isEmpty()) {
            n.put(field, s);
        }
    }

    private static ObjectNode descriptor(final Layer l) {
        final ObjectNode n = JSON.createObjectNode();
        n.put("mediaType", l.mediaType());
        n.put("digest", l.digest().toString());
        n.put("size", l.size());
        return n;
    }

    private static byte[] bytes(final JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
