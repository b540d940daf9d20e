package io.strata.cli;

import io.strata.model.convert.FileType;
import io.strata.model.convert.GgufConverter;
import io.strata.model.hf.HfModel;
import io.strata.model.store.ModelLocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code strata convert HFDIR -o OUT.gguf --type T}: a Hugging Face safetensors directory as a GGUF, by llama.cpp's
 * conventions. Progress goes to stderr; stdout gets one line naming the file written.
 */
@Command(name = "convert", description = "Convert a Hugging Face safetensors model directory to GGUF.")
final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "HFDIR", description = "The model directory (config.json, *.safetensors, tokenizer.json), or its name on STRATA_MODEL_PATH.")
    String model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf")
    Path output;

    @Option(names = {"-t", "--type"}, paramLabel = "TYPE", description = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M, Q6_K, IQ4_NL. Default: ${DEFAULT-VALUE}.")
    String type = "F16";

    @Override
    public Integer call() throws Exception {
        FileType t = FileType.parse(type);
        Path dir = ModelLocator.fromEnvironment().locate(model);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(model + " is not a model directory (" + dir + "); to change the type of a"
                    + " GGUF file use strata quantize");
        }
        try (HfModel m = HfModel.open(dir)) {
            GgufConverter.Result r = GgufConverter.convert(m, t, output, false, line -> {
                System.err.println(line);
                System.err.flush();
            });
            System.err.println("tensor types: " + r.tensorsByType());
            System.out.println("wrote " + output + " (" + t + ", " + r.bytes() + " bytes)");
        }
        return 0;
    }
}
