package io.strata.cli;

import io.strata.model.remote.ModelPusher;
import io.strata.model.remote.ModelReference;
import io.strata.model.remote.RemoteSettings;
import io.strata.model.store.Digest;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code strata push NAME oci://REGISTRY/REPO:TAG}: a stored model to an OCI registry, as a ModelPack artifact. */
@Command(name = "push", description = "Push a stored model to an OCI registry as an OCI artifact (CNCF ModelPack layout).")
final class PushCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "The stored model.")
    String name;

    @Parameters(index = "1", paramLabel = "TARGET", description = "oci://REGISTRY/REPOSITORY:TAG")
    String target;

    @Option(names = "--insecure", description = "Reach the registry over plain http (loopback registries always are).")
    boolean insecure;

    @Override
    public Integer call() {
        ModelName source = ModelName.parse(name);
        if (!(ModelReference.parse(target) instanceof ModelReference.Oci oci)) {
            throw new IllegalArgumentException("push takes an oci://REGISTRY/REPOSITORY:TAG target, not " + target);
        }
        RemoteSettings settings = RemoteSettings.fromEnvironment();
        if (insecure) {
            settings = settings.withInsecure(oci.registry());
        }
        Digest digest = new ModelPusher(ModelStore.fromEnvironment(), settings, ProgressBar.forTerminal()).push(source, oci);
        System.out.println("pushed " + source.displayShortest() + " to " + target + " (" + digest + ")");
        return 0;
    }
}
