package io.strata.cli;

import io.strata.cli.pack.ModelPackager;
import io.strata.coordinator.ServedModel;
import io.strata.model.convert.FileType;
import io.strata.model.convert.GgufConverter;
import io.strata.model.gguf.GgufFile;
import io.strata.model.hf.HfModel;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ResolvedModel;
import io.strata.model.store.TextLayer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code strata package MODEL -o NAME.jar}: one runnable jar holding the Strata runtime and the model, as llamafile
 * makes one executable. {@code java -jar NAME.jar} serves the model, {@code java -jar NAME.jar run PROMPT} runs it;
 * a stored model's parameters, template, system prompt and messages travel with it.
 */
@Command(name = "package", description = "Write a runnable jar holding the Strata runtime and a model:"
        + " 'java -jar NAME.jar' serves it, 'java -jar NAME.jar run PROMPT' runs it.")
final class PackageCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "A stored model's name, a GGUF path, a Hugging Face"
            + " model directory (converted to GGUF F16, or BF16 for a BF16 checkpoint), or a file name on STRATA_MODEL_PATH.")
    String model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "NAME.jar", description = "The jar to write (replaced if it exists).")
    Path output;

    @Option(names = "--name", description = "The name the jar serves the model under (default: the stored name or the file name without .gguf).")
    String name;

    @Override
    public Integer call() throws Exception {
        if (!output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jar")) {
            throw new IllegalArgumentException("the output " + output + " must end in .jar (java -jar runs it)");
        }
        ModelLocator locator = ModelLocator.fromEnvironment();
        ResolvedModel resolved = ServeCommand.resolve(locator, model);
        if (resolved instanceof ResolvedModel.File f && Files.isDirectory(f.gguf())) {
            return packageDirectory(locator, f.gguf());
        }
        return packageModel(locator, resolved, null);
    }

    /**
     * A Hugging Face directory: converted to a GGUF first, as {@code strata create} imports one (F16, or BF16 for a
     * BF16 checkpoint: nothing rounded twice), next to the output, packaged under the directory's name, then deleted.
     */
    private Integer packageDirectory(ModelLocator locator, Path dir) throws Exception {
        if (!HfModel.isModelDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is a directory but not a Hugging Face model (no config.json"
                    + " with safetensors weights); package a GGUF file, a stored model or a model directory");
        }
        Path parent = output.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path gguf = Files.createTempFile(parent, ".strata-package-", ".gguf");
        try {
            try (HfModel m = HfModel.open(dir)) {
                FileType type = GgufConverter.losslessType(m);
                System.err.println("converting " + dir + " to GGUF (" + type + ")");
                GgufConverter.convert(m, type, gguf, false, line -> System.err.println(line));
            }
            String dirName = dir.toAbsolutePath().normalize().getFileName().toString();
            return packageModel(locator, new ResolvedModel.File(gguf), dirName);
        } finally {
            Files.deleteIfExists(gguf);
        }
    }

    private Integer packageModel(ModelLocator locator, ResolvedModel resolved, String defaultName) throws Exception {
        // refuse what could not be served before writing anything: the GGUF header and the Modelfile layers
        try (GgufFile f = resolved.openGguf()) {
            f.metadata();
        }
        ModelDefaults.of(locator, resolved).template().ifPresent(io.strata.model.chat.ChatTemplate::go);
        String packagedName = name != null ? name : defaultName != null ? defaultName : switch (resolved) {
            case ResolvedModel.Stored s -> s.model().name().displayShortest();
            case ResolvedModel.Packaged p -> p.model().name();
            case ResolvedModel.File f -> ServedModel.defaultName(f.gguf());
        };
        List<TextLayer> layers = switch (resolved) {
            case ResolvedModel.Stored s -> ModelDefaults.textLayers(locator.store().orElseThrow(), s.model());
            case ResolvedModel.Packaged p -> p.model().layers();
            case ResolvedModel.File f -> List.of();
        };
        ModelPackager.Source source = switch (resolved) {
            case ResolvedModel.Packaged p -> new ModelPackager.Source(p.model().jar(), p.model().offset(), p.model().length());
            default -> new ModelPackager.Source(resolved.gguf(), 0, Files.size(resolved.gguf()));
        };
        Properties build = buildProperties();
        long start = System.nanoTime();
        ModelPackager.Result r = ModelPackager.write(output, ModelPackager.runtimeClassPath(), packagedName, source,
                layers, build.getProperty("jvm.flags", "--add-modules jdk.incubator.vector"),
                build.getProperty("version", "unknown"));
        System.out.printf(Locale.ROOT, "wrote %s: %s (%.1f MiB; the model %.1f MiB at byte %d) in %.1f s; run it with"
                        + " java -jar %s%n", r.jar(), packagedName, r.jarBytes() / 1048576.0, r.modelBytes() / 1048576.0,
                r.model().offset(), (System.nanoTime() - start) / 1e9, output);
        return 0;
    }

    private static Properties buildProperties() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return p;
    }
}
