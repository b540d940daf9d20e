package io.strata.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.arch.Architecture;
import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.synth.QuantizationMix;
import io.strata.model.synth.SyntheticModelSpec;
import io.strata.model.synth.SyntheticModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {

    /** A model small enough to bench in well under a second, with an untied output head of another shape. */
    private static Path tinyModel(Path dir) throws Exception {
        Path file = dir.resolve("tiny-Q8_0.gguf");
        SyntheticModelWriter.write(new SyntheticModelSpec(Architecture.LLAMA, 64, 2, 4, 2, 128, 300, null, false,
                10000f, 256, QuantizationMix.parse("Q8_0"), 7), file);
        return file;
    }

    private record Run(int exitCode, String out, String err) {}

    private static Run strata(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void jsonIsOneObjectWithConsistentFigures(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir);
        Run r = strata("bench", model.toString(), "--threads", "2", "--prompt-tokens", "12", "--gen-tokens", "4",
                "--batch-size", "5", "--probe-mib", "1", "--json");
        assertEquals(0, r.exitCode(), r.err());

        // exactly one JSON object on stdout, nothing after it
        JsonNode j = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(r.out());
        assertTrue(j.isObject());
        assertTrue(r.err().contains("prefill of 12 tokens"), r.err());

        double prefill = j.get("prefill_tokens_per_s").asDouble();
        double decode = j.get("decode_tokens_per_s").asDouble();
        long bytesPerToken = j.get("bytes_per_token").asLong();
        double bandwidth = j.get("bandwidth_bytes_per_s").asDouble();
        assertTrue(prefill > 0 && decode > 0 && bandwidth > 0, r.out());
        assertEquals(decode * bytesPerToken / bandwidth, j.get("decode_bound_fraction").asDouble(), 1e-9);
        assertEquals(bandwidth, j.get("read_bytes_per_s").asDouble());
        assertEquals(2, j.get("threads").asInt());
        assertEquals(12, j.get("prompt_tokens").asInt());
        assertEquals(4, j.get("gen_tokens").asInt());
        assertEquals(5, j.get("batch_tokens").asInt());
        assertEquals(expectedBytesPerToken(model), bytesPerToken);
        assertEquals(bytesPerToken, j.get("weight_types").get("Q8_0").asLong() + j.get("weight_types").path("Q6_K").asLong());
    }

    @Test
    void tableByDefault(@TempDir Path dir) throws Exception {
        Run r = strata("bench", tinyModel(dir).toString(), "--threads", "1", "--prompt-tokens", "4", "--gen-tokens", "2",
                "--probe-mib", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("decode bound"), r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("{")), r.out());
    }

    /** The byte sizes of the projections and of the output head, read from the file's tensor table. */
    private static long expectedBytesPerToken(Path model) {
        try (GgufFile f = GgufFile.open(model)) {
            long sum = 0;
            for (GgufTensorInfo t : f.tensors().values()) {
                String n = t.name();
                if (n.equals("output.weight") || n.matches("blk\\.\\d+\\.(attn_(q|k|v|output)|ffn_(gate|up|down))\\.weight")) {
                    sum += t.byteSize();
                }
            }
            return sum;
        }
    }
}
