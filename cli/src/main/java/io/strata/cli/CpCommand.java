package io.strata.cli;

import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code strata cp SRC DST}: a second name for a stored model (no blob is copied). */
@Command(name = "cp", description = "Copy a model in the local store to a new name (the blobs are shared).")
final class CpCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SRC")
    String source;

    @Parameters(index = "1", paramLabel = "DST")
    String destination;

    @Override
    public Integer call() {
        ModelName src = ModelName.parse(source);
        ModelName dst = ModelName.parse(destination);
        ModelStore.fromEnvironment().copy(src, dst);
        System.out.println("copied '" + src.displayShortest() + "' to '" + dst.displayShortest() + "'");
        return 0;
    }
}
