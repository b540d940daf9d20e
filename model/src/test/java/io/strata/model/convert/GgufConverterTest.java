package io.strata.model.convert;

import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.hf.HfModel;
import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Conversion and quantization against llama.cpp's own output: llama-quantize's files in ../shared/models (made from
 * stories260K.gguf and synth-k-F32.gguf) and the upstream stories260K.gguf that the HF directory was made from.
 */
class GgufConverterTest {
    static final Path MODELS = Path.of(System.getProperty("strata.model.path.default", "../shared/models"));

    static Path shared(final String relative) {
        final Path p = MODELS.resolve(relative);
        if (!Files.exists(p)) {
            fail("missing shared file " + p.toAbsolutePath());
        }
        return p;
    }

    /** Same names, shapes, types and bytes for every tensor of {@code a}; returns how many were compared. */
    static int assertSameTensors(final GgufFile want, final GgufFile got) {
        return assertSameTensors(want, got, false);
    }

    static int assertSameTensors(final GgufFile want, final GgufFile got, final boolean matricesOnly) {
        int n = 0;
        for (GgufTensorInfo t : got.tensors().values()) {
            if (matricesOnly && t.shape().length < 2) {
                continue;
            }
            final GgufTensorInfo w = want.tensor(t.name());
            assertTrue(w != null, t.name() + " is not in " + want.name());
            assertArrayEquals(w.shape(), t.shape(), t.name() + " shape");
            assertEquals(w.type(), t.type(), t.name() + " type");
            assertEquals(-1, want.data(w).mismatch(got.data(t)), t.name() + " bytes");
            n++;
        }
        return n;
    }

    @ParameterizedTest(name = "{0} as {1}")
    @CsvSource({
            "stories260K.gguf,           Q6_K,   derived/stories260K-Q8_0-mix.gguf",
            "stories260K.gguf,           Q4_K_M, derived/stories260K-Q5_0-mix.gguf",
            "stories260K.gguf,           F16,    derived/stories260K-F16.gguf",
            "stories260K.gguf,           BF16,   derived/stories260K-BF16.gguf",
            "synthetic/synth-k-F32.gguf, Q2_K,   synthetic/synth-k-Q2_K.gguf",
            "synthetic/synth-k-F32.gguf, Q3_K_M, synthetic/synth-k-Q3_K_M.gguf",
            "synthetic/synth-k-F32.gguf, Q4_K_M, synthetic/synth-k-Q4_K_M.gguf",
            "synthetic/synth-k-F32.gguf, Q5_K_M, synthetic/synth-k-Q5_K_M.gguf",
            "synthetic/synth-k-F32.gguf, Q6_K,   synthetic/synth-k-Q6_K.gguf",
            "synthetic/synth-k-F32.gguf, Q8_0,   synthetic/synth-k-Q8_0.gguf",
            "synthetic/synth-k-F32.gguf, Q4_1,   synthetic/synth-k-Q4_1.gguf",
            "synthetic/synth-k-F32.gguf, IQ4_NL, synthetic/synth-k-IQ4_NL.gguf",
    })
    void quantizeWritesLlamaQuantizesFileByteForByte(final String input, final String type, final String reference,
                                                     @TempDir final Path dir) throws IOException {
        final Path out = dir.resolve("out.gguf");
        try (GgufFile in = GgufFile.open(shared(input))) {
            GgufConverter.convert(in, FileType.parse(type), out, false, line -> { });
        }
        assertEquals(-1, Files.mismatch(shared(reference), out), "differs from llama-quantize's " + reference);
    }

    @Test
    void theConvertedStoriesDirectoryAtF32IsTheUpstreamGgufTensorForTensor(@TempDir final Path dir) throws IOException {
        final Path out = dir.resolve("stories-f32.gguf");
        try (HfModel hf = HfModel.open(shared("derived/stories260K-hf"))) {
            final GgufConverter.Result r = GgufConverter.convert(hf, FileType.F32, out, false, line -> { });
            assertEquals(Map.of(GgmlType.F32, 47), r.tensorsByType());
        }
        try (GgufFile want = GgufFile.open(shared("stories260K.gguf")); GgufFile got = GgufFile.open(out)) {
            // q/k rows permuted back into llama.cpp's interleaved order, every other tensor copied
            assertEquals(47, assertSameTensors(want, got));
            // the upstream file stores the tied head as a copy of the embedding; the converted one ties it, as
            // convert_hf_to_gguf.py does for tie_word_embeddings
            assertEquals(null, got.tensor("output.weight"));
            assertEquals(-1, want.data(want.tensor("output.weight")).mismatch(want.data(want.tensor("token_embd.weight"))));
            assertEquals(0, got.metadata().getLong("general.file_type"));
            assertEquals("llama", got.metadata().getString("tokenizer.ggml.model"));
            assertEquals(4, got.metadata().getLong("llama.attention.head_count_kv"));
        }
    }

    @Test
    void theShardedBf16DirectoryConvertsToLlamaQuantizesBf16Tensors(@TempDir final Path dir) throws IOException {
        final Path out = dir.resolve("bf16.gguf");
        try (HfModel hf = HfModel.open(shared("derived/stories260K-hf-bf16-sharded"))) {
            GgufConverter.convert(hf, FileType.BF16, out, false, line -> { });
        }
        try (GgufFile want = GgufFile.open(shared("derived/stories260K-BF16.gguf")); GgufFile got = GgufFile.open(out)) {
            // the shards hold the norms in BF16 too (the GGUF keeps them F32): they come out as F32, BF16-rounded
            assertEquals(36, assertSameTensors(want, got, true));
            assertEquals(GgmlType.F32, got.tensor("output_norm.weight").type());
            assertEquals(32, got.metadata().getLong("general.file_type"));
        }
    }

    @Test
    void convertingToQ6KGivesTheTensorsLlamaQuantizeGaveTheGguf(@TempDir final Path dir) throws IOException {
        final Path out = dir.resolve("q6k.gguf");
        try (HfModel hf = HfModel.open(shared("derived/stories260K-hf"))) {
            GgufConverter.convert(hf, FileType.Q6_K, out, false, line -> { });
        }
        try (GgufFile want = GgufFile.open(shared("derived/stories260K-Q8_0-mix.gguf")); GgufFile got = GgufFile.open(out)) {
            // Q8_0 where Q6_K's 256-element blocks do not fit, F16 for the 172-wide ffn_down, F32 norms
            assertEquals(47, assertSameTensors(want, got));
        }
    }

    @Test
    void q8_0FallsBackToF16WhereLlamaQuantizeWouldStop(@TempDir final Path dir) throws IOException {
        final Path out = dir.resolve("q8.gguf");
        try (HfModel hf = HfModel.open(shared("derived/stories260K-hf"))) {
            final GgufConverter.Result r = GgufConverter.convert(hf, FileType.Q8_0, out, false, line -> { });
            assertEquals(Map.of(GgmlType.F32, 11, GgmlType.F16, 5, GgmlType.Q8_0, 31), r.tensorsByType());
        }
        try (GgufFile got = GgufFile.open(out)) {
            assertEquals(GgmlType.F16, got.tensor("blk.0.ffn_down.weight").type());
            assertEquals(7, got.metadata().getLong("general.file_type"));
        }
    }

    @Test
    void aQuantizedInputIsRefusedUnlessRequantizingIsAllowed(@TempDir final Path dir) throws IOException {
        try (GgufFile in = GgufFile.open(shared("derived/stories260K-Q8_0-mix.gguf"))) {
            final var e = assertThrows(IllegalArgumentException.class,
                    () -> GgufConverter.convert(in, FileType.Q4_0, dir.resolve("x.gguf"), false, line -> { }));
            assertTrue(e.getMessage().contains("already quantized") && e.getMessage().contains("--allow-requantize"), e.getMessage());
            assertTrue(!Files.exists(dir.resolve("x.gguf")));
            GgufConverter.convert(in, FileType.Q4_0, dir.resolve("x.gguf"), true, line -> { });
            assertTrue(Files.size(dir.resolve("x.gguf")) > 0);
        }
    }

    @Test
    void theInputFileIsNeverTheOutput(@TempDir final Path dir) throws IOException {
        final Path copy = Files.copy(shared("stories260K.gguf"), dir.resolve("s.gguf"));
        try (GgufFile in = GgufFile.open(copy)) {
            final var e = assertThrows(IllegalArgumentException.class,
                    () -> GgufConverter.convert(in, FileType.F16, copy, false, line -> { }));
            assertTrue(e.getMessage().contains("is the input file"), e.getMessage());
        }
        assertEquals(-1, Files.mismatch(shared("stories260K.gguf"), copy));
    }

    @Test
    void typeNamesAreLlamaQuantizesWithItsAliases() {
        assertEquals(FileType.Q4_K_M, FileType.parse("q4_k"));
        assertEquals(15, FileType.parse("Q4_K_M").id());
        final var e = assertThrows(IllegalArgumentException.class, () -> FileType.parse("Q7"));
        assertTrue(e.getMessage().contains("unknown type 'Q7'") && e.getMessage().contains("Q4_K_M"), e.getMessage());
    }
}
