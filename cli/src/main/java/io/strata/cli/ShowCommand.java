package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.model.arch.ModelConfig;
import io.strata.model.ModelSource;
import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufMetadata;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.modelfile.ModelParameters;
import io.strata.model.store.Layer;
import io.strata.model.store.MediaTypes;
import io.strata.model.remote.ModelResolver;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelStore;
import io.strata.model.store.PackagedModel;
import io.strata.model.store.ResolvedModel;
import io.strata.model.store.StoredModel;
import io.strata.model.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code strata show MODEL [--json] [--modelfile]}: what a model file holds; for a model in the store also its
 * name, id, default parameters, template, system prompt, messages and licenses.
 */
@Command(name = "show", description = "Describe a model: architecture, parameters, tensor types, context, tokenizer, chat template;"
        + " for a stored model also its parameters, template, system prompt, messages and license.")
final class ShowCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "A stored model's name, a file name on STRATA_MODEL_PATH, or a GGUF path.")
    String model;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--modelfile", description = "Print a Modelfile that recreates the stored model.")
    boolean modelfile;

    @Override
    public Integer call() throws Exception {
        ModelResolver resolver = ModelResolver.fromEnvironment(ProgressBar.forTerminal());
        ModelLocator locator = resolver.locator();
        ResolvedModel resolved = resolver.resolve(model);
        if (modelfile) {
            if (!(resolved instanceof ResolvedModel.Stored stored)) {
                throw new IllegalArgumentException("--modelfile needs a model in the store; " + model + " is the file "
                        + resolved.gguf());
            }
            System.out.print(modelfile(locator.store().orElseThrow(), stored));
            return 0;
        }
        try (ModelSource f = resolved.open()) {
            Map<String, Object> info = describe(f);
            if (resolved instanceof ResolvedModel.Stored stored) {
                info.put("stored", storedInfo(locator.store().orElseThrow(), stored.model()));
            }
            if (resolved instanceof ResolvedModel.Packaged p) {
                info.put("packaged", packagedInfo(p.model(), ModelDefaults.of(locator, resolved)));
            }
            if (json) {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(info));
            } else {
                info.forEach((k, v) -> {
                    if (v instanceof Map<?, ?> m) {
                        System.out.println(k + ":");
                        m.forEach((k2, v2) -> System.out.println(v2 instanceof String s2 && s2.contains("\n")
                                ? "  " + k2 + ":\n    " + s2.replace("\n", "\n    ")
                                : "  " + k2 + ": " + v2));
                    } else if (v instanceof String s && s.contains("\n")) {
                        System.out.println(k + ":\n  " + s.replace("\n", "\n  "));
                    } else {
                        System.out.println(k + ": " + v);
                    }
                });
            }
        }
        return 0;
    }

    /** The store's view of a model: name, id, size and the layers other than the weights. */
    static Map<String, Object> storedInfo(ModelStore store, StoredModel m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", m.name().displayShortest());
        o.put("digest", m.manifestDigest().hex());
        o.put("size", m.size());
        o.put("modified_at", m.modified().toString());
        m.manifest().layer(MediaTypes.PARAMS).ifPresent(l -> o.put("parameters",
                ModelParameters.fromJson(store.readText(l), "params " + l.digest()).values()));
        m.manifest().layer(MediaTypes.TEMPLATE).ifPresent(l -> o.put("template", store.readText(l)));
        m.manifest().layer(MediaTypes.SYSTEM).ifPresent(l -> o.put("system", store.readText(l)));
        m.manifest().layer(MediaTypes.MESSAGES).ifPresent(l -> o.put("messages", store.readText(l)));
        List<Layer> licenses = m.manifest().layers(MediaTypes.LICENSE);
        if (!licenses.isEmpty()) {
            o.put("license", licenses.stream().map(store::readText).toList());
        }
        return o;
    }

    /** A Modelfile that recreates the model, FROM its weights blob (as {@code ollama show --modelfile} writes it). */
    static String modelfile(ModelStore store, ResolvedModel.Stored s) {
        StoredModel m = s.model();
        ModelDefaults d = ModelDefaults.fromLayers(ModelDefaults.textLayers(store, m), "model " + m.name().displayShortest());
        return "# Modelfile generated by \"strata show\"\n# To build a new Modelfile based on this, "
                + "replace FROM with:\n# FROM " + m.name().displayShortest() + "\n\nFROM " + s.gguf() + "\n"
                + d.modelfileInstructions();
    }

    /** A packaged model: its name, digest, where it lies in the jar and its defaults. */
    static Map<String, Object> packagedInfo(PackagedModel p, ModelDefaults d) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", p.name());
        o.put("jar", p.jar().toString());
        o.put("digest", p.sha256());
        o.put("offset", p.offset());
        o.put("size", p.length());
        if (!d.parameters().isEmpty()) {
            o.put("parameters", d.parameters().values());
        }
        d.template().ifPresent(t -> o.put("template", t));
        d.system().ifPresent(t -> o.put("system", t));
        if (!d.messages().isEmpty()) {
            o.put("messages", d.messages().stream().map(msg -> Map.of("role", msg.role(), "content", msg.content())).toList());
        }
        if (!d.licenses().isEmpty()) {
            o.put("license", d.licenses());
        }
        return o;
    }

    static Map<String, Object> describe(ModelSource f) {
        GgufMetadata md = f.metadata();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("file", f.name());
        if (f instanceof GgufFile g) {
            info.put("gguf_version", g.version());
        } else {
            info.put("format", "safetensors (Hugging Face directory)");
        }
        String arch = md.getString("general.architecture", "unknown");
        info.put("architecture", arch);
        info.put("name", md.getString("general.name", ""));
        long params = 0;
        Map<String, Integer> types = new TreeMap<>();
        for (GgufTensorInfo t : f.tensors().values()) {
            params += t.elementCount();
            types.merge(t.type().name(), 1, Integer::sum);
        }
        info.put("parameters", params);
        info.put("tensors", f.tensors().size());
        info.put("tensor_types", types);
        try {
            ModelConfig c = ModelConfig.of(f);
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("context_length", c.contextLength());
            h.put("embedding_length", c.embeddingLength());
            h.put("block_count", c.layerCount());
            h.put("head_count", c.headCount());
            h.put("head_count_kv", c.kvHeadCount());
            h.put("head_dim", c.headDim());
            h.put("feed_forward_length", c.feedForwardLength());
            h.put("vocab_size", c.vocabSize());
            h.put("rope_dimension_count", c.ropeDimensions());
            h.put("rope_freq_base", c.ropeFreqBase());
            h.put("rms_norm_eps", c.rmsNormEps());
            info.put("context_length", c.contextLength());
            info.put("hyperparameters", h);
        } catch (RuntimeException e) {
            info.put("runnable", false);
            info.put("problem", e.getMessage());
        }
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("model", md.getString("tokenizer.ggml.model", "none"));
        tok.put("pre", md.getString("tokenizer.ggml.pre", "default"));
        String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
        tok.put("vocab_size", tokens == null ? 0 : tokens.length);
        if (md.contains("tokenizer.ggml.bos_token_id")) {
            tok.put("bos_token_id", md.getLong("tokenizer.ggml.bos_token_id"));
        }
        if (md.contains("tokenizer.ggml.eos_token_id")) {
            tok.put("eos_token_id", md.getLong("tokenizer.ggml.eos_token_id"));
        }
        info.put("tokenizer", tok);
        String template = md.getString("tokenizer.chat_template", null);
        info.put("chat_template", template == null ? "(none)" : template);
        boolean unsupported = f.tensors().values().stream().anyMatch(t -> !t.type().isSupported());
        if (unsupported) {
            info.put("unsupported_tensor_types", f.tensors().values().stream().map(GgufTensorInfo::type)
                    .filter(t -> !t.isSupported()).map(GgmlType::name).distinct().toList());
        }
        return info;
    }
}
