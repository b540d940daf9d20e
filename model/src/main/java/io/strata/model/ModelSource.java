package io.strata.model;

import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufMetadata;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.hf.HfModel;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model's description and weights as the engine reads them, whatever the files: GGUF metadata keys (llama.cpp's
 * names) and tensors under GGUF names and ggml shapes, each tensor's bytes a slice of a mapped file. A GGUF file is
 * one directly ({@link GgufFile}); a Hugging Face directory ({@link HfModel}) is described the way llama.cpp's
 * converter would write it, so the tokenizer, the hyperparameters, {@code strata show} and {@code strata convert}
 * all read one form.
 */
public interface ModelSource extends AutoCloseable {

    /** The path or name used in error messages. */
    String name();

    /** llama.cpp's metadata keys ({@code general.*}, {@code ARCH.*}, {@code tokenizer.*}). */
    GgufMetadata metadata();

    /** Tensor infos under GGUF names, in a stable order; shapes in ggml order (row length first). */
    Map<String, GgufTensorInfo> tensors();

    default GgufTensorInfo tensor(final String tensorName) {
        return tensors().get(tensorName);
    }

    /** The tensor's bytes in the mapping (valid until {@link #close()}). */
    MemorySegment data(GgufTensorInfo t);

    /** Bytes on disk (all files of the model). */
    long fileSize();

    /**
     * Whether the rows of a llama model's {@code attn_q}/{@code attn_k} are in Hugging Face's order (each head's
     * first rotary half, then its second: RoPE rotates dimension i with i + d/2) rather than the interleaved order
     * llama.cpp's converter writes (i with i + 1). The same weights give the same model under NEOX RoPE.
     */
    default boolean rotateHalfQk() {
        return false;
    }

    @Override
    void close();

    /**
     * Opens a GGUF file or a Hugging Face model directory.
     *
     * @throws ModelFormatException naming the file and the problem, including for PyTorch pickle checkpoints
     */
    static ModelSource open(final Path path) {
        if (Files.isDirectory(path)) {
            return HfModel.open(path);
        }
        final String file = path.getFileName() == null ? "" : path.getFileName().toString();
        if ((file.endsWith(".bin") || file.endsWith(".pt") || file.endsWith(".pth") || file.endsWith(".ckpt")) && !startsWithGgufMagic(path)) {
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, HfModel.PICKLE_REFUSAL);
        }
        if (file.endsWith(".safetensors")) {
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, "is a safetensors weights file:"
                    + " give its Hugging Face model directory (with config.json and tokenizer.json) instead");
        }
        return GgufFile.open(path);
    }

    /**
     * Whether {@code path} looks like something {@link #open} loads (a file starting with the GGUF magic, or a Hugging
     * Face model directory), from its first bytes only: a cheap test before committing to a load.
     */
    static boolean looksLikeModel(final Path path) {
        return Files.isDirectory(path) ? HfModel.isModelDirectory(path) : Files.isRegularFile(path) && startsWithGgufMagic(path);
    }

    /** A GGUF may carry any extension; only a file that is not one is taken for a pickle by its name. */
    private static boolean startsWithGgufMagic(final Path path) {
        try (var in = Files.newInputStream(path)) {
            final byte[] head = in.readNBytes(4);
            return head.length == 4 && (head[0] & 0xFF | (head[1] & 0xFF) << 8 | (head[2] & 0xFF) << 16 | (head[3] & 0xFF) << 24) == GgufFile.MAGIC;
        } catch (java.io.IOException e) {
            return false; // GgufFile.open reports the problem with the file
        }
    }
}
