package io.strata.cli;

import io.strata.model.remote.DownloadOptions;
import io.strata.model.remote.ModelPuller;
import io.strata.model.remote.ModelReference;
import io.strata.model.remote.RemoteSettings;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.StoredModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code strata pull REF [--name NAME]}: a model from a registry, the Hugging Face Hub, a URL or a file, into the store. */
@Command(name = "pull", description = "Pull a model into the local store (STRATA_HOME) from hf://ORG/REPO[@REV]/FILE,"
        + " oci://REGISTRY/REPO[:TAG], ollama://[REGISTRY/]NAME[:TAG] (also a bare NAME), https://URL[#sha256=HEX] or file://PATH.")
final class PullCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "REF", description = "What to pull; a name without a scheme is an Ollama registry name.")
    String ref;

    @Option(names = "--name", paramLabel = "NAME", description = "Store it under this name (default: one that follows from REF).")
    String name;

    @Option(names = "--insecure", description = "Reach the registry over plain http (loopback registries always are).")
    boolean insecure;

    @Option(names = "--parallel", paramLabel = "N", description = "Byte ranges fetched at once for a blob of 64 MiB or more (1: one stream). Default: ${DEFAULT-VALUE}.")
    int parallel = DownloadOptions.DEFAULT.parallelParts();

    @Override
    public Integer call() {
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1, got " + parallel);
        }
        ModelReference reference = ModelReference.parse(ModelReference.isReference(ref) ? ref : "ollama://" + ref);
        RemoteSettings settings = RemoteSettings.fromEnvironment();
        settings = settings.withDownload(settings.download().withParallel(settings.download().parallelThresholdBytes(), parallel));
        if (insecure) {
            settings = switch (reference) {
                case ModelReference.Oci o -> settings.withInsecure(o.registry());
                case ModelReference.Ollama o -> settings.withInsecure(o.name().host());
                default -> settings;
            };
        }
        ModelName target = name == null ? null : ModelName.parse(name);
        StoredModel model = new ModelPuller(ModelStore.fromEnvironment(), settings, ProgressBar.forTerminal())
                .pull(reference, target);
        System.out.println("pulled " + model.name().displayShortest());
        return 0;
    }
}
