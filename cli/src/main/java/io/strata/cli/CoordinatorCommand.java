package io.strata.cli;

import io.strata.cluster.config.ClusterConfig;
import io.strata.cluster.config.ClusterConfigLoader;
import io.strata.coordinator.cluster.ClusterCoordinator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code strata coordinator}: one coordinator process of a cluster config (the HTTP API over the cluster). */
@Command(name = "coordinator", description = "Run one coordinator of a cluster: place the model on the workers and serve the OpenAI and Ollama APIs.")
final class CoordinatorCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The cluster config (YAML).")
    Path config;

    @Option(names = "--name", description = "This coordinator's name in the config (needed when it names several).")
    String name;

    @Option(names = "--join-timeout", description = "Seconds to wait for a seed member. Default: ${DEFAULT-VALUE}.")
    int joinTimeout = 60;

    @Override
    public Integer call() throws Exception {
        ClusterConfig c = ClusterConfigLoader.load(config);
        ClusterCoordinator coordinator = ClusterCoordinator.start(c, name, Duration.ofSeconds(joinTimeout));
        String host = c.coordinators().stream().filter(k -> k.name().equals(coordinator.name())).findFirst()
                .orElseThrow().host();
        return Foreground.runUntilStopped(coordinator, "coordinator " + coordinator.name() + ": http://" + host + ":"
                + coordinator.httpPort());
    }
}
