package io.strata.cli;

import io.strata.model.modelfile.ModelCreator;
import io.strata.model.modelfile.Modelfile;
import io.strata.model.modelfile.ModelfileParser;
import io.strata.model.remote.ModelResolver;
import io.strata.model.remote.RemoteSettings;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.StoredModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code strata create NAME [-f Modelfile]}: a model in the local store, from a Modelfile (FROM a GGUF, a Hugging Face
 * directory, a stored model or a pull reference, pulled first). Progress goes to stderr.
 */
@Command(name = "create", description = "Create a model in the local store (STRATA_HOME) from a Modelfile.")
final class CreateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "The model's name: [namespace/]model[:tag].")
    String name;

    @Option(names = {"-f", "--file"}, paramLabel = "MODELFILE", description = "The Modelfile. Default: ${DEFAULT-VALUE}.")
    Path file = Path.of("Modelfile");

    @Override
    public Integer call() throws Exception {
        ModelName target = ModelName.parse(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no Modelfile at " + file + " (name one with -f)");
        }
        Path dir = file.toAbsolutePath().getParent();
        Modelfile modelfile = ModelfileParser.parse(Files.readString(file, StandardCharsets.UTF_8), dir);
        ModelStore store = ModelStore.fromEnvironment();
        ModelLocator locator = ModelLocator.fromEnvironment();
        // FROM hf://, oci://, ollama://, https:// or file:// is pulled as `strata pull` would, unless it is stored
        ModelResolver pulls = new ModelResolver(locator, RemoteSettings.fromEnvironment(), ProgressBar.forTerminal());
        StoredModel model = new ModelCreator(store, locator, pulls::resolve, line -> {
            System.err.println(line);
            System.err.flush();
        }).create(target, modelfile);
        System.out.println("created " + model.name().displayShortest());
        return 0;
    }
}
