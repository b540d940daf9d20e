package io.strata.cli;

import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code strata rm NAME...}: removes models and the blobs no other model uses. */
@Command(name = "rm", description = "Remove models from the local store; blobs another model uses stay.")
final class RmCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "NAME")
    List<String> names;

    @Override
    public Integer call() {
        ModelStore store = ModelStore.fromEnvironment();
        List<ModelName> parsed = names.stream().map(ModelName::parse).toList();
        parsed.forEach(store::get); // all exist, or nothing is removed
        for (ModelName n : parsed) {
            store.remove(n);
            System.out.println("deleted '" + n.displayShortest() + "'");
        }
        return 0;
    }
}
