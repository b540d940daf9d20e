package io.strata.model.synth;

import io.strata.model.arch.Architecture;
import io.strata.model.gguf.GgufArray;
import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufValue;
import io.strata.model.gguf.GgufValueType;
import io.strata.model.gguf.GgufWriter;
import io.strata.model.tensor.GgmlType;
import io.strata.model.tensor.Quantizer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Writes a random-weight model as GGUF for tests and benchmarks at realistic sizes. Every row's values come from
 * a generator seeded by (seed, tensor, row), so the file is the same for the same seed whatever the thread count.
 * Rows are generated, quantized and written straight into the mapped output file in parallel.
 */
public final class SyntheticModelWriter {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SyntheticModelWriter() {}

    public static void write(SyntheticModelSpec s, Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        String arch = s.architecture().ggufName();
        int vocab = s.vocabSize();
        w.putString("general.architecture", arch);
        w.putString("general.name", "strata-synthetic-" + s.quantization().name().toLowerCase());
        w.putUint32("general.quantization_version", 2);
        w.putUint32(arch + ".context_length", s.contextLength());
        w.putUint32(arch + ".embedding_length", s.embeddingLength());
        w.putUint32(arch + ".block_count", s.layers());
        w.putUint32(arch + ".feed_forward_length", s.feedForwardLength());
        w.putUint32(arch + ".attention.head_count", s.heads());
        w.putUint32(arch + ".attention.head_count_kv", s.kvHeads());
        w.putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
        w.putFloat32(arch + ".rope.freq_base", s.ropeFreqBase());
        w.putUint32(arch + ".rope.dimension_count", s.headDim());
        if (s.vocabFrom() != null) {
            try (GgufFile v = GgufFile.open(s.vocabFrom())) {
                for (Map.Entry<String, GgufValue> e : v.metadata().asMap().entrySet()) {
                    if (e.getKey().startsWith("tokenizer.")) {
                        w.put(e.getKey(), e.getValue());
                    }
                }
                String[] tokens = v.metadata().getStringArray("tokenizer.ggml.tokens");
                if (tokens == null) {
                    throw new IllegalArgumentException(s.vocabFrom() + " has no tokenizer.ggml.tokens to take the vocabulary from");
                }
                vocab = tokens.length;
            }
        } else {
            generatedVocabulary(w, vocab);
        }
        w.putUint32(arch + ".vocab_size", vocab);

        int d = s.embeddingLength();
        int kv = s.kvHeads() * s.headDim();
        int layers = s.layers();
        QuantizationMix q = s.quantization();
        long seed = s.seed();
        int[] index = {0};
        java.util.function.BiConsumer<String, long[]> matrix = (name, shape) -> {
            int layer = name.startsWith("blk.") ? Integer.parseInt(name.substring(4, name.indexOf('.', 4))) : -1;
            boolean outputHead = name.equals("output.weight") || (s.tiedEmbeddings() && name.equals("token_embd.weight"));
            GgmlType type = q.typeFor(name, outputHead, layer, layers, (int) shape[0]);
            float std = name.equals("token_embd.weight") ? 1f : (float) (1.0 / Math.sqrt(shape[0]));
            long tensorSeed = seed * 1_000_003L + index[0]++;
            w.addTensor(name, shape, type, dst -> fillMatrix(dst, type, (int) shape[0], (int) shape[1], std, tensorSeed));
        };
        java.util.function.Consumer<String> norm = name -> {
            long tensorSeed = seed * 1_000_003L + index[0]++;
            w.addTensor(name, new long[]{d}, GgmlType.F32, dst -> fillNorm(dst, d, tensorSeed));
        };

        matrix.accept("token_embd.weight", new long[]{d, vocab});
        norm.accept("output_norm.weight");
        if (!s.tiedEmbeddings()) {
            matrix.accept("output.weight", new long[]{d, vocab});
        }
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            norm.accept(p + "attn_norm.weight");
            matrix.accept(p + "attn_q.weight", new long[]{d, d});
            matrix.accept(p + "attn_k.weight", new long[]{d, kv});
            matrix.accept(p + "attn_v.weight", new long[]{d, kv});
            matrix.accept(p + "attn_output.weight", new long[]{d, d});
            if (s.architecture() == Architecture.QWEN2) {
                for (String b : new String[]{"attn_q.bias", "attn_k.bias", "attn_v.bias"}) {
                    int n = b.startsWith("attn_q") ? d : kv;
                    long tensorSeed = seed * 1_000_003L + index[0]++;
                    w.addTensor(p + b, new long[]{n}, GgmlType.F32, dst -> fillBias(dst, n, tensorSeed));
                }
            }
            if (s.architecture() == Architecture.QWEN3) {
                int hd = s.headDim();
                long qs = seed * 1_000_003L + index[0]++;
                long ks = seed * 1_000_003L + index[0]++;
                w.addTensor(p + "attn_q_norm.weight", new long[]{hd}, GgmlType.F32, dst -> fillNorm(dst, hd, qs));
                w.addTensor(p + "attn_k_norm.weight", new long[]{hd}, GgmlType.F32, dst -> fillNorm(dst, hd, ks));
            }
            norm.accept(p + "ffn_norm.weight");
            matrix.accept(p + "ffn_gate.weight", new long[]{d, s.feedForwardLength()});
            matrix.accept(p + "ffn_up.weight", new long[]{d, s.feedForwardLength()});
            matrix.accept(p + "ffn_down.weight", new long[]{s.feedForwardLength(), d});
        }
        w.write(out);
    }

    private static void fillMatrix(MemorySegment dst, GgmlType type, int cols, int rows, float std, long seed) {
        long rowBytes = type.byteSize(cols);
        IntStream.range(0, rows).parallel().forEach(r -> {
            float[] row = ROW.get();
            if (row.length < cols) {
                row = new float[cols];
                ROW.set(row);
            }
            SplittableRandom rnd = new SplittableRandom(seed ^ (r * 0x9E3779B97F4A7C15L));
            for (int i = 0; i < cols; i++) {
                row[i] = (float) (rnd.nextGaussian() * std);
            }
            Quantizer.quantize(type, row, 0, cols, dst, r * rowBytes);
        });
    }

    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    private static void fillNorm(MemorySegment dst, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(F32, i, (float) (1.0 + 0.1 * rnd.nextGaussian()));
        }
    }

    private static void fillBias(MemorySegment dst, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(F32, i, (float) (0.1 * rnd.nextGaussian()));
        }
    }

    /**
     * A SentencePiece-style vocabulary: unk, BOS, EOS, the 256 byte tokens, then filler pieces. It tokenizes any
     * text (through byte fallback) and decodes back to the same bytes.
     */
    private static void generatedVocabulary(GgufWriter w, int vocab) {
        String[] tokens = new String[vocab];
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        tokens[0] = "<unk>";
        types[0] = 2;
        tokens[1] = "<s>";
        types[1] = 3;
        tokens[2] = "</s>";
        types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;
        }
        for (int i = 259; i < vocab; i++) {
            tokens[i] = "\u2581t" + i;
            scores[i] = -i;
            types[i] = 1;
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putArray("tokenizer.ggml.tokens", new GgufArray(GgufValueType.STRING, tokens));
        w.putArray("tokenizer.ggml.scores", new GgufArray(GgufValueType.FLOAT32, scores));
        w.putArray("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, types));
        w.putUint32("tokenizer.ggml.bos_token_id", 1);
        w.putUint32("tokenizer.ggml.eos_token_id", 2);
        w.putUint32("tokenizer.ggml.unknown_token_id", 0);
    }
}
