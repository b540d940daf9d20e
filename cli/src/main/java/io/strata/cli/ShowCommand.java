package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.model.arch.ModelConfig;
import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufMetadata;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.store.ModelLocator;
import io.strata.model.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code strata show MODEL [--json]}: what a model file holds. */
@Command(name = "show", description = "Describe a model: architecture, parameters, tensor types, context, tokenizer, chat template.")
final class ShowCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "A GGUF path, or a file name on STRATA_MODEL_PATH.")
    String model;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (GgufFile f = GgufFile.open(ModelLocator.fromEnvironment().locate(model))) {
            Map<String, Object> info = describe(f);
            if (json) {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(info));
            } else {
                info.forEach((k, v) -> {
                    if (v instanceof Map<?, ?> m) {
                        System.out.println(k + ":");
                        m.forEach((k2, v2) -> System.out.println("  " + k2 + ": " + v2));
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

    static Map<String, Object> describe(GgufFile f) {
        GgufMetadata md = f.metadata();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("file", f.name());
        info.put("gguf_version", f.version());
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
            ModelConfig c = ModelConfig.fromGguf(md, f.name());
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
