package io.strata.model.hf;

import io.strata.model.ModelFormatException;
import io.strata.model.ModelSource;
import io.strata.model.arch.Architecture;
import io.strata.model.gguf.GgufMetadata;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.gguf.GgufValue;
import io.strata.model.safetensors.SafetensorsCheckpoint;
import io.strata.model.safetensors.SafetensorsTensor;
import io.strata.model.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Hugging Face model directory (config.json, safetensors weights, tokenizer.json, tokenizer_config.json) seen as
 * the GGUF llama.cpp's converter would make of it: the same metadata keys, the same tensor names and ggml shapes.
 * The weights stay in the safetensors mappings, F32, F16 and BF16 alike (their bytes are ggml's), with one
 * difference from a converted file: a llama model's q/k rows keep HF's rotate-half order ({@link #rotateHalfQk()}),
 * which the engine runs with NEOX RoPE instead of permuting rows. {@code strata convert} permutes them when it
 * writes a GGUF.
 */
public final class HfModel implements ModelSource {
    /** Why a pickle checkpoint is refused, and what to do instead. */
    public static final String PICKLE_REFUSAL = "is a PyTorch pickle checkpoint: loading a pickle can run arbitrary code,"
            + " so Strata does not read pytorch_model.bin, *.pt or *.pth files. Convert it to safetensors first (for example"
            + " with transformers: AutoModelForCausalLM.from_pretrained(dir).save_pretrained(out, safe_serialization=True),"
            + " or the Hugging Face 'convert to safetensors' Space), then give Strata that directory";
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    /** HF per-layer tensor names → GGUF's (convert_hf_to_gguf.py's tensor map for llama, qwen2, qwen3). */
    private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
            Map.entry("input_layernorm.weight", "attn_norm.weight"),
            Map.entry("self_attn.q_proj.weight", "attn_q.weight"),
            Map.entry("self_attn.k_proj.weight", "attn_k.weight"),
            Map.entry("self_attn.v_proj.weight", "attn_v.weight"),
            Map.entry("self_attn.o_proj.weight", "attn_output.weight"),
            Map.entry("self_attn.q_proj.bias", "attn_q.bias"),
            Map.entry("self_attn.k_proj.bias", "attn_k.bias"),
            Map.entry("self_attn.v_proj.bias", "attn_v.bias"),
            Map.entry("self_attn.o_proj.bias", "attn_output.bias"),
            Map.entry("self_attn.q_norm.weight", "attn_q_norm.weight"),
            Map.entry("self_attn.k_norm.weight", "attn_k_norm.weight"),
            Map.entry("post_attention_layernorm.weight", "ffn_norm.weight"),
            Map.entry("mlp.gate_proj.weight", "ffn_gate.weight"),
            Map.entry("mlp.up_proj.weight", "ffn_up.weight"),
            Map.entry("mlp.down_proj.weight", "ffn_down.weight"));
    private static final Map<String, String> GLOBAL_NAMES = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");

    private final String name;
    private final HfConfig config;
    private final SafetensorsCheckpoint checkpoint;
    private final Arena arena;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final Map<String, MemorySegment> data;

    private HfModel(final String name, final HfConfig config, final SafetensorsCheckpoint checkpoint, final Arena arena,
                    final GgufMetadata metadata, final Map<String, GgufTensorInfo> tensors, final Map<String, MemorySegment> data) {
        this.name = name;
        this.config = config;
        this.checkpoint = checkpoint;
        this.arena = arena;
        this.metadata = metadata;
        this.tensors = tensors;
        this.data = data;
    }

    /** Whether a directory looks like a Hugging Face model (config.json, safetensors or a pickle checkpoint). */
    public static boolean isModelDirectory(final Path dir) {
        return Files.isDirectory(dir) && (Files.exists(dir.resolve("config.json")) || SafetensorsCheckpoint.present(dir)
                || !pickles(dir).isEmpty());
    }

    /**
     * Opens the directory: reads its JSON files, maps its safetensors files and checks every tensor's name, dtype
     * and shape against the config.
     *
     * @throws ModelFormatException naming the file and the problem (also for pickle-only checkpoints)
     */
    public static HfModel open(final Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir, "directory", ModelFormatException.NO_OFFSET, "not found");
        }
        if (!SafetensorsCheckpoint.present(dir)) {
            final List<Path> pickles = pickles(dir);
            if (!pickles.isEmpty()) {
                throw new ModelFormatException(pickles.get(0), "file", ModelFormatException.NO_OFFSET, PICKLE_REFUSAL);
            }
        }
        if (!Files.exists(dir.resolve("config.json"))) {
            throw new ModelFormatException(dir, "directory", ModelFormatException.NO_OFFSET,
                    "has no config.json: not a Hugging Face model directory (give a .gguf file or a model directory)");
        }
        final HfConfig config = HfConfig.read(dir);
        final Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.architecture", GgufValue.of(config.architecture().ggufName()));
        md.put("general.name", GgufValue.of(dir.toAbsolutePath().normalize().getFileName().toString()));
        config.writeMetadata(md);
        HfTokenizer.writeMetadata(dir, config.vocabSize(), md);
        final SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        final Arena arena = Arena.ofShared();
        try {
            final Map<String, GgufTensorInfo> infos = new HashMap<>();
            final Map<String, MemorySegment> data = new HashMap<>();
            for (SafetensorsCheckpoint.Entry e : checkpoint.tensors().values()) {
                final String gguf = ggufName(dir, e);
                if (gguf == null) {
                    continue;
                }
                final SafetensorsTensor t = e.tensor();
                final GgmlType type = t.dtype().ggmlType().orElseThrow(() -> new ModelFormatException(e.file().name(),
                        "tensor '" + t.name() + "' dtype", ModelFormatException.NO_OFFSET, "dtype " + t.dtype()
                        + " is not supported for weights (supported: F32, F16, BF16)"));
                if (t.shape().length == 0 || t.shape().length > 4) {
                    throw new ModelFormatException(e.file().name(), "tensor '" + t.name() + "' shape",
                            ModelFormatException.NO_OFFSET, "must have 1 to 4 dimensions, found " + t.shapeString());
                }
                final long[] shape = new long[t.shape().length];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = t.shape()[shape.length - 1 - i]; // PyTorch's last dimension is ggml's first
                }
                if (infos.containsKey(gguf)) {
                    throw new ModelFormatException(e.file().name(), "tensor '" + t.name() + "'", ModelFormatException.NO_OFFSET,
                            "maps to " + gguf + ", which another tensor already gives");
                }
                infos.put(gguf, new GgufTensorInfo(gguf, shape, type, t.begin(), t.byteSize()));
                data.put(gguf, e.data());
            }
            final float[] ropeFactors = config.ropeFreqFactors();
            if (ropeFactors != null) {
                final MemorySegment seg = arena.allocate(4L * ropeFactors.length, 32);
                MemorySegment.copy(ropeFactors, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, ropeFactors.length);
                infos.put("rope_freqs.weight", new GgufTensorInfo("rope_freqs.weight", new long[] {ropeFactors.length},
                        GgmlType.F32, 0, seg.byteSize()));
                data.put("rope_freqs.weight", seg);
            }
            final List<String> order = new ArrayList<>(infos.keySet());
            order.sort(TENSOR_ORDER);
            final Map<String, GgufTensorInfo> ordered = new LinkedHashMap<>();
            order.forEach(n -> ordered.put(n, infos.get(n)));
            md.put("general.file_type", GgufValue.uint32(sourceFileType(ordered.values())));
            md.put("general.quantization_version", GgufValue.uint32(2));
            return new HfModel(dir.toString(), config, checkpoint, arena, new GgufMetadata(dir.toString(), md, Map.of()),
                    Collections.unmodifiableMap(ordered), data);
        } catch (RuntimeException | Error e) {
            checkpoint.close();
            arena.close();
            throw e;
        }
    }

    /**
     * llama.cpp's tensor order in a quantized file (llama_model_loader's {@code weight_name_comparer}): tensors
     * outside the blocks first, then block by block, by name within each.
     */
    public static final Comparator<String> TENSOR_ORDER = Comparator.comparingInt(HfModel::layerOf).thenComparing(Comparator.naturalOrder());

    static int layerOf(final String ggufName) {
        if (!ggufName.startsWith("blk.")) {
            return -1;
        }
        final int dot = ggufName.indexOf('.', 4);
        try {
            return dot < 0 ? -1 : Integer.parseInt(ggufName.substring(4, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The GGUF name of an HF tensor, null for tensors llama.cpp drops, an error for ones it cannot place. */
    private static String ggufName(final Path dir, final SafetensorsCheckpoint.Entry e) {
        final String hf = e.tensor().name();
        final String global = GLOBAL_NAMES.get(hf);
        if (global != null) {
            return global;
        }
        final Matcher m = LAYER.matcher(hf);
        if (m.matches()) {
            if (m.group(2).endsWith("rotary_emb.inv_freq")) {
                return null; // recomputed from rope_theta, as llama.cpp does
            }
            final String suffix = LAYER_NAMES.get(m.group(2));
            if (suffix != null) {
                return "blk." + Integer.parseInt(m.group(1)) + "." + suffix;
            }
        }
        throw new ModelFormatException(e.file().name(), "tensor '" + hf + "'", ModelFormatException.NO_OFFSET,
                "is not part of a model Strata can run (no GGUF name for it; " + dir.getFileName() + " may be another architecture)");
    }

    /** general.file_type of the checkpoint as it is: 0 all F32, 1 mostly F16, 32 mostly BF16 (by matrices). */
    private static int sourceFileType(final java.util.Collection<GgufTensorInfo> tensors) {
        final Map<GgmlType, Long> elements = new HashMap<>();
        for (GgufTensorInfo t : tensors) {
            if (t.shape().length >= 2) {
                elements.merge(t.type(), t.elementCount(), Long::sum);
            }
        }
        final GgmlType dominant = elements.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(GgmlType.F32);
        return switch (dominant) {
            case F16 -> 1;
            case BF16 -> 32;
            default -> 0;
        };
    }

    private static List<Path> pickles(final Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                final String n = p.getFileName().toString();
                return n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt")
                        || n.startsWith("pytorch_model") && n.endsWith(".bin") || n.equals("pytorch_model.bin.index.json");
            }).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public HfConfig config() {
        return config;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public GgufMetadata metadata() {
        return metadata;
    }

    @Override
    public Map<String, GgufTensorInfo> tensors() {
        return tensors;
    }

    @Override
    public MemorySegment data(final GgufTensorInfo t) {
        final MemorySegment s = data.get(t.name());
        if (s == null) {
            throw new IllegalArgumentException(t.name() + " is not a tensor of " + name);
        }
        return s;
    }

    @Override
    public long fileSize() {
        return checkpoint.fileSize();
    }

    @Override
    public boolean rotateHalfQk() {
        return config.architecture() == Architecture.LLAMA;
    }

    @Override
    public void close() {
        checkpoint.close();
        arena.close();
    }
}
