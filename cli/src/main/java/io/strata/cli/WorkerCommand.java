package io.strata.cli;

import io.strata.cluster.config.ClusterConfig;
import io.strata.cluster.config.ClusterConfigLoader;
import io.strata.worker.node.WorkerNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code strata worker}: one worker process of a cluster config. */
@Command(name = "worker", description = "Run one worker of a cluster: join it, load the share of the model the plan gives this worker, serve it.")
final class WorkerCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The cluster config (YAML).")
    Path config;

    @Option(names = "--name", required = true, description = "This worker's name in the config.")
    String name;

    @Option(names = "--join-timeout", description = "Seconds to wait for a seed member. Default: ${DEFAULT-VALUE}.")
    int joinTimeout = 60;

    @Override
    public Integer call() throws Exception {
        ClusterConfig c = ClusterConfigLoader.load(config);
        WorkerNode node = WorkerNode.start(c, name, Duration.ofSeconds(joinTimeout));
        return Foreground.runUntilStopped(node, "worker " + name + ": joined cluster " + c.clusterName()
                + "; metrics on http://" + c.worker(name).host() + ":" + node.metricsPort() + "/metrics");
    }
}
