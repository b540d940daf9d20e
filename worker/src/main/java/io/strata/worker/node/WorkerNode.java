package io.strata.worker.node;

import io.strata.cluster.config.ClusterConfig;
import io.strata.cluster.config.WorkerSpec;
import io.strata.inference.LocalModel;
import io.strata.model.store.ModelLocator;
import io.strata.sharding.ShardPlan;
import io.strata.transport.AeronNode;
import io.strata.transport.Channels;
import io.strata.worker.cluster.ControlPlane;
import io.strata.worker.cluster.MemberInventory;
import io.strata.worker.cluster.Placement;
import io.strata.worker.distributed.StageLayout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One worker process: joins the cluster with its inventory, serves its metrics, waits for a placement that names
 * it, maps the model and runs its share: the head (stage 0, rank 0) runs the continuous-batching scheduler over
 * the replica and takes coordinators' requests; every other rank runs its layers for each step the head sends.
 * It reports ready in the control plane once it reaches every peer it sends to. A newer placement replaces the
 * running share; a placement without this worker leaves it on standby.
 */
public final class WorkerNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WorkerNode.class.getName());
    static final long STEP_TIMEOUT_SECONDS = 60;
    static final long CONNECT_TIMEOUT_SECONDS = 120;
    static final int MAX_WAITING = 256;

    private final ClusterConfig config;
    private final WorkerSpec spec;
    private final AeronNode aeron;
    private final WorkerMetrics metrics;
    private final ControlPlane control;
    private final String channel;
    private final Thread watcher;
    private volatile boolean running = true;
    private volatile String state = "joining";
    private volatile Long planVersion;
    private Share share;

    private WorkerNode(ClusterConfig config, WorkerSpec spec, Duration joinTimeout) {
        this.config = config;
        this.spec = spec;
        this.channel = Channels.udp(spec.host(), spec.aeronPort());
        this.metrics = new WorkerMetrics(spec.name(), spec.host(), spec.httpPort(), () -> state, () -> planVersion);
        AeronNode a = null;
        ControlPlane cp = null;
        try {
            a = AeronNode.launch(spec.name());
            int hzPort = spec.hazelcastPort() != 0 ? spec.hazelcastPort() : ClusterSeeds.freePort(spec.host());
            cp = ControlPlane.join(new ControlPlane.Settings(config.clusterName(), spec.host(), hzPort,
                    ClusterSeeds.of(config), joinTimeout), new MemberInventory(spec.name(), "worker",
                    spec.backend().configName(), spec.threads(), spec.memory().bytes(),
                    spec.host() + ":" + spec.aeronPort(), spec.host() + ":" + metrics.port()));
        } catch (RuntimeException e) {
            if (a != null) {
                a.close();
            }
            metrics.close();
            throw e;
        }
        this.aeron = a;
        this.control = cp;
        this.state = "waiting for a plan";
        this.watcher = Thread.ofPlatform().name("strata-worker-plan").daemon(true).start(this::watchPlans);
    }

    /**
     * Starts worker {@code name} of {@code config}.
     *
     * @throws IllegalArgumentException when the config has no such worker
     */
    public static WorkerNode start(ClusterConfig config, String name, Duration joinTimeout) {
        WorkerSpec spec = config.worker(name);
        if (spec == null) {
            throw new IllegalArgumentException("the config has no worker named '" + name + "'; it names "
                    + config.workers().stream().map(WorkerSpec::name).toList());
        }
        return new WorkerNode(config, spec, joinTimeout);
    }

    public String state() { return state; }

    public int metricsPort() { return metrics.port(); }

    private void watchPlans() {
        while (running) {
            try {
                Long newest = control.newestPlanVersion();
                if (newest != null && !newest.equals(planVersion)) {
                    apply(Placement.fromJson(control.plan(newest)));
                }
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "worker " + spec.name() + ": cannot run the plan: " + e.getMessage(), e);
                state = "failed: " + e.getMessage();
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private synchronized void apply(Placement placement) {
        stopShare();
        planVersion = placement.version();
        Optional<ShardPlan.Assignment> mine = placement.plan().assignmentOf(spec.name());
        if (mine.isEmpty()) {
            state = "standby";
            log("plan v" + placement.version() + " does not use this worker: standby");
            return;
        }
        ShardPlan.Assignment a = mine.get();
        state = "loading";
        StageLayout layout = placement.layout(a.replica());
        log("plan v" + placement.version() + ": replica " + a.replica() + " stage " + a.stage() + " rank " + a.rank()
                + ", layers [" + layout.fromLayer(a.stage()) + ", " + layout.toLayer(a.stage()) + ")");
        LocalModel model = openModel(placement);
        int slots = placement.plan().slots();
        int context = placement.plan().contextLength();
        try {
            share = a.stage() == 0 && a.rank() == 0
                    ? HeadShare.start(aeron.aeron(), channel, model, layout, slots, context, placement.maxBatchTokens(),
                            MAX_WAITING, spec.threads(), metrics::attach)
                    : StageShare.start(aeron.aeron(), model, layout, a.stage(), a.rank(), slots, context,
                            placement.maxBatchTokens(), spec.threads(), metrics::attach);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        control.markReady(spec.name(), placement.version());
        state = "ready";
        log("ready for plan v" + placement.version());
    }

    private LocalModel openModel(Placement placement) {
        Path path = ModelLocator.fromEnvironment().locate(config.model());
        try {
            long size = Files.size(path);
            if (size != placement.modelBytes()) {
                throw new IllegalStateException("the plan was made for a model file of " + placement.modelBytes()
                        + " bytes, this worker's " + path + " has " + size + ": every worker needs the same file");
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + path + ": " + e.getMessage(), e);
        }
        return LocalModel.open(path);
    }

    private void stopShare() {
        if (share != null) {
            metrics.detach();
            share.close();
            share = null;
        }
    }

    private void log(String message) {
        System.err.println("worker " + spec.name() + ": " + message);
    }

    @Override
    public synchronized void close() {
        running = false;
        watcher.interrupt();
        stopShare();
        control.close();
        aeron.close();
        metrics.close();
    }
}
