package io.strata.cli;

import io.strata.model.convert.FileType;
import io.strata.model.convert.GgufConverter;
import io.strata.model.gguf.GgufFile;
import io.strata.model.store.ModelLocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code strata quantize IN.gguf OUT.gguf TYPE}: requantizes a GGUF with llama-quantize's per-tensor type choices. */
@Command(name = "quantize", description = "Write a GGUF in another tensor type, as llama-quantize does.")
final class QuantizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN.gguf", description = "A GGUF path, a file name on STRATA_MODEL_PATH, or a stored model.")
    String input;

    @Parameters(index = "1", paramLabel = "OUT.gguf")
    Path output;

    @Parameters(index = "2", paramLabel = "TYPE", description = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M, Q6_K, IQ4_NL.")
    String type;

    @Option(names = "--allow-requantize", description = "Accept an already quantized input (quality suffers).")
    boolean allowRequantize;

    @Override
    public Integer call() throws Exception {
        FileType t = FileType.parse(type);
        Path in = ModelLocator.fromEnvironment().locate(input);
        try (GgufFile f = GgufFile.open(in)) {
            GgufConverter.Result r = GgufConverter.convert(f, t, output, allowRequantize, line -> {
                System.err.println(line);
                System.err.flush();
            });
            System.err.println("tensor types: " + r.tensorsByType());
            System.out.println("wrote " + output + " (" + t + ", " + r.bytes() + " bytes)");
        }
        return 0;
    }
}
