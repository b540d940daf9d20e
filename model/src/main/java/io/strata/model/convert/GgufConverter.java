package io.strata.model.convert;

import io.strata.model.ModelSource;
import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.gguf.GgufValue;
import io.strata.model.gguf.GgufWriter;
import io.strata.model.hf.HfModel;
import io.strata.model.tensor.Dequantizer;
import io.strata.model.tensor.GgmlType;
import io.strata.model.tensor.Quantizer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;

/**
 * Writes a model source as a GGUF of a given {@link FileType}: {@code strata convert} (a Hugging Face directory) and
 * {@code strata quantize} (a GGUF) are the same operation. Metadata is the source's (for a directory, the keys
 * llama.cpp's converter writes) with {@code general.file_type} and {@code general.quantization_version} set; tensors
 * are written in llama.cpp's order, each with the type {@link TensorTypes} picks.
 *
 * <p>Tensors stream: each output row is read from the source mapping, widened to f32 in a per-thread row buffer,
 * quantized with ggml's reference quantizers and written into the mapped output, rows in parallel. A llama model
 * from Hugging Face gets its q/k rows permuted from rotate-half order into the interleaved order of llama.cpp's
 * {@code LlamaModel.permute} on the way. The file appears under its name only once complete.
 */
public final class GgufConverter {
    private static final int ROWS_PER_TASK = 16;

    private GgufConverter() {
    }

    /** What was written: the tensors by output type, and the bytes. */
    public record Result(Map<GgmlType, Integer> tensorsByType, long bytes) {}

    /**
     * The type a checkpoint converts to without rounding anything twice, as {@code ollama create} imports one: F16,
     * or BF16 when the checkpoint is BF16.
     */
    public static FileType losslessType(final ModelSource source) {
        return source.metadata().getLong("general.file_type", 1) == FileType.BF16.id() ? FileType.BF16 : FileType.F16;
    }

    /**
     * Converts {@code source} into {@code out}.
     *
     * @param allowRequantize accept quantized source tensors (llama-quantize's --allow-requantize: quality suffers)
     * @throws IllegalArgumentException for a quantized source without {@code allowRequantize}, or out = the source
     */
    public static Result convert(final ModelSource source, final FileType type, final Path out, final boolean allowRequantize,
                                 final Consumer<String> progress) throws IOException {
        final boolean fromHf = !(source instanceof GgufFile);
        if (!fromHf && Files.exists(out) && Files.isSameFile(Path.of(source.name()), out)) {
            throw new IllegalArgumentException("the output " + out + " is the input file");
        }
        final Map<String, GgufTensorInfo> tensors = source.tensors();
        for (GgufTensorInfo t : tensors.values()) {
            final boolean quantized = t.type().blockSize() > 1;
            if (quantized && !allowRequantize && TensorTypes.isConvertedWeight(t.name(), t.shape())) {
                throw new IllegalArgumentException(source.name() + " is already quantized (" + t.name() + " is " + t.type()
                        + "): requantizing loses quality; quantize from an F32, F16 or BF16 model, or pass --allow-requantize");
            }
            if (!t.type().isSupported()) {
                throw new IllegalArgumentException(t.name() + " has type " + t.type() + ", which Strata cannot read");
            }
        }
        final var md = source.metadata();
        final String arch = md.getString("general.architecture");
        final int layers = md.getCount(arch + ".block_count");
        final int heads = md.getCount(arch + ".attention.head_count");
        final int kvHeads = md.getCount(arch + ".attention.head_count_kv", heads);
        final TensorTypes types = new TensorTypes(type, layers, Math.max(1, heads / Math.max(1, kvHeads)),
                tensors.containsKey("output.weight"));

        final GgufWriter w = new GgufWriter();
        for (Map.Entry<String, GgufValue> e : md.asMap().entrySet()) {
            // llama-quantize's gguf_set_val removes a key and appends it: these two always come last
            if (!e.getKey().equals("general.quantization_version") && !e.getKey().equals("general.file_type")) {
                w.put(e.getKey(), e.getValue());
            }
        }
        w.put("general.quantization_version", GgufValue.uint32(2));
        w.put("general.file_type", GgufValue.uint32(type.id()));
        final List<String> names = new ArrayList<>(tensors.keySet());
        names.sort(HfModel.TENSOR_ORDER);
        final Map<GgmlType, Integer> counts = new java.util.TreeMap<>();
        final int headDim = md.getCount(arch + ".attention.key_length", md.getCount(arch + ".embedding_length") / heads);
        for (String name : names) {
            final GgufTensorInfo t = tensors.get(name);
            final GgmlType outType = types.typeOf(name, t.shape(), t.type(), fromHf);
            counts.merge(outType, 1, Integer::sum);
            final boolean permute = source.rotateHalfQk() && name.startsWith("blk.")
                    && (name.endsWith("attn_q.weight") || name.endsWith("attn_k.weight")
                    || name.endsWith("attn_q.bias") || name.endsWith("attn_k.bias"));
            final IntUnaryOperator srcRow = permute ? interleavedFromRotateHalf(headDim) : IntUnaryOperator.identity();
            final boolean vector = t.shape().length == 1;
            final MemorySegment src = source.data(t);
            w.addTensor(name, t.shape(), outType, dst -> {
                if (vector && permute) {
                    // a bias: its elements are the "rows" to permute
                    copyRows(src, t.type(), dst, outType, 1, t.shape()[0], srcRow);
                } else {
                    copyRows(src, t.type(), dst, outType, (int) t.columns(), t.rows(), srcRow);
                }
            });
        }
        final Path tmp = out.resolveSibling("." + out.getFileName() + ".partial");
        try {
            progress.accept("writing " + names.size() + " tensors to " + out + " (" + type + ")");
            w.write(tmp);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return new Result(counts, Files.size(out));
    }

    /**
     * The source row of each output row under llama.cpp's {@code LlamaModel.permute}: output row h*d + 2i + s comes
     * from HF row h*d + s*d/2 + i (head h, rotary pair i, half s).
     */
    static IntUnaryOperator interleavedFromRotateHalf(final int headDim) {
        final int half = headDim / 2;
        return r -> {
            final int h = r / headDim;
            final int j = r % headDim;
            return h * headDim + (j % 2) * half + j / 2;
        };
    }

    /** Rows of {@code cols} elements from src (type {@code from}, row srcRow(r)) into dst (type {@code to}, row r). */
    private static void copyRows(final MemorySegment src, final GgmlType from, final MemorySegment dst, final GgmlType to,
                                 final int cols, final long rows, final IntUnaryOperator srcRow) {
        final long srcBytes = from.byteSize(cols);
        final long dstBytes = to.byteSize(cols);
        final int tasks = (int) ((rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK);
        final ThreadLocal<float[]> buffers = ThreadLocal.withInitial(() -> new float[cols]);
        IntStream.range(0, tasks).parallel().forEach(task -> {
            final float[] row = buffers.get();
            final long end = Math.min(rows, (long) (task + 1) * ROWS_PER_TASK);
            for (long r = (long) task * ROWS_PER_TASK; r < end; r++) {
                final long s = srcRow.applyAsInt((int) r) * srcBytes;
                if (from == to) {
                    MemorySegment.copy(src, s, dst, r * dstBytes, dstBytes);
                } else {
                    Dequantizer.dequantize(from, src, s, row, 0, cols);
                    Quantizer.quantize(to, row, 0, cols, dst, r * dstBytes);
                }
            }
        });
    }
}
