package io.strata.coordinator.cluster;

import io.strata.cluster.config.ClusterConfig;
import io.strata.cluster.config.CoordinatorSpec;
import io.strata.cluster.config.WorkerSpec;
import io.strata.coordinator.HttpApiServer;
import io.strata.coordinator.ServedModel;
import io.strata.coordinator.ServerConfig;
import io.strata.inference.LocalModel;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ResolvedModel;
import io.strata.sharding.Backend;
import io.strata.sharding.ModelTensors;
import io.strata.sharding.PlanException;
import io.strata.sharding.PlanRequest;
import io.strata.sharding.ShardPlan;
import io.strata.sharding.ShardPlanner;
import io.strata.sharding.WorkerCapacity;
import io.strata.transport.AeronNode;
import io.strata.transport.Channels;
import io.strata.worker.cluster.ControlPlane;
import io.strata.worker.cluster.MemberInventory;
import io.strata.worker.cluster.Placement;
import io.strata.worker.node.ClusterSeeds;
import io.strata.worker.remote.EngineWire;
import io.strata.worker.remote.RemoteEngine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One coordinator process: joins the cluster, serves the HTTP API (OpenAI and Ollama) for the config's model, and
 * routes requests to the replicas of the plan in force. The leader (the oldest member) makes the plan: once the
 * workers the config places have joined, it runs the shard planner over their inventories and publishes the
 * placement; every coordinator then reaches each replica's head worker over Aeron and routes to a replica only
 * when all its ranks have reported ready. The model file is mapped here only for its tokenizer, chat template and
 * metadata: no layer runs in a coordinator.
 */
public final class ClusterCoordinator implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ClusterCoordinator.class.getName());
    /** Tokens per engine step on every replica (the scheduler's step budget). */
    static final int MAX_BATCH_TOKENS = 64;
    /** Memory each worker keeps outside weights and KV cache (activations, runtime). */
    static final long RESERVE_BYTES = 64L << 20;
    /** How long the leader waits for workers beyond those the plan needs (standbys) once enough are up. */
    static final long STANDBY_GRACE_NANOS = Duration.ofSeconds(2).toNanos();

    private final ClusterConfig config;
    private final CoordinatorSpec spec;
    private final LocalModel model;
    private final long modelBytes;
    private final AeronNode aeron;
    private final String replyChannel;
    private final ControlPlane control;
    private final ReplicaRouter router;
    private final HttpApiServer http;
    private final Thread planner;
    private volatile boolean running = true;
    private volatile Placement inForce;
    /** Why each replica of the plan in force is not ready (null: ready), refreshed by the watcher: routing reads it
     *  on the event loop, which must not wait on a Hazelcast map. */
    private volatile String[] notReadyReasons = new String[0];
    private long enoughSince;

    private ClusterCoordinator(ClusterConfig config, CoordinatorSpec spec, Duration joinTimeout) {
        this.config = config;
        this.spec = spec;
        ModelLocator locator = ModelLocator.fromEnvironment();
        ResolvedModel resolved = locator.resolve(config.model());
        Path path = resolved.gguf();
        this.model = LocalModel.open(path);
        // a stored model is served under its name with its Modelfile defaults, as `strata serve` does
        String served = resolved instanceof ResolvedModel.Stored ? ServedModel.stripLatest(config.model()) : ServedModel.defaultName(path);
        AeronNode a = null;
        ControlPlane cp = null;
        HttpApiServer server = null;
        try {
            this.modelBytes = Files.size(path);
            a = AeronNode.launch(spec.name());
            int aeronPort = spec.aeronPort() != 0 ? spec.aeronPort() : ClusterSeeds.freePort(spec.host());
            this.replyChannel = Channels.udp(spec.host(), aeronPort);
            this.router = new ReplicaRouter(contextLength(), model.config().vocabSize(), this::notReady);
            cp = ControlPlane.join(new ControlPlane.Settings(config.clusterName(), spec.host(), spec.hazelcastPort(),
                    ClusterSeeds.of(config), joinTimeout), new MemberInventory(spec.name(), "coordinator", "cpu", 0, 0,
                    spec.host() + ":" + aeronPort, spec.host() + ":" + spec.httpPort()));
            cp.onDeparture(this::departed);
            server = HttpApiServer.start(new ServedModel(served, path, model, router, ModelDefaults.of(locator, resolved)),
                    new ServerConfig(spec.host(), spec.httpPort(), java.util.Set.of(), 4L << 20, 30));
        } catch (java.io.IOException e) {
            close(a, cp, server);
            throw new IllegalStateException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(a, cp, server);
            throw e;
        }
        this.aeron = a;
        this.control = cp;
        this.http = server;
        this.planner = Thread.ofPlatform().name("strata-coordinator-plan").daemon(true).start(this::watch);
    }


    private void close(AeronNode a, ControlPlane cp, HttpApiServer server) {
        if (server != null) {
            server.close();
        }
        if (cp != null) {
            cp.close();
        }
        if (a != null) {
            a.close();
        }
        model.close();
    }

    /**
     * Starts coordinator {@code name} of {@code config} (the only one, when {@code name} is null).
     *
     * @throws IllegalArgumentException when the config has no such coordinator
     */
    public static ClusterCoordinator start(ClusterConfig config, String name, Duration joinTimeout) {
        List<CoordinatorSpec> all = config.coordinators();
        CoordinatorSpec spec = name == null && all.size() == 1 ? all.get(0)
                : all.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
        if (spec == null) {
            throw new IllegalArgumentException(name == null
                    ? "the config names " + all.size() + " coordinators; say which one this is (--name)"
                    : "the config has no coordinator named '" + name + "'; it names "
                    + all.stream().map(CoordinatorSpec::name).toList());
        }
        return new ClusterCoordinator(config, spec, joinTimeout);
    }

    public int httpPort() { return http.port(); }

    public String name() { return spec.name(); }

    /** The plan in force, or null before the first. */
    public Placement placement() { return inForce; }

    private int contextLength() {
        return config.contextLength().orElse(Math.min(model.config().contextLength(), 2048));
    }

    private void watch() {
        while (running) {
            try {
                if (control.isLeader() && control.newestPlanVersion() == null) {
                    tryToPlan();
                }
                Long newest = control.newestPlanVersion();
                if (newest != null && (inForce == null || inForce.version() != newest)) {
                    enforce(Placement.fromJson(control.plan(newest)));
                }
                refreshReadiness();
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "coordinator " + spec.name() + ": " + e.getMessage(), e);
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** The leader's first plan: over the config's workers that have joined, in file order, once enough are up. */
    private void tryToPlan() {
        Map<String, MemberInventory> inventory = control.inventory();
        List<MemberInventory> present = new ArrayList<>();
        for (WorkerSpec w : config.workers()) {
            MemberInventory m = inventory.get(w.name());
            if (m != null && m.role().equals("worker")) {
                present.add(m);
            }
        }
        int needed = config.workersNeeded();
        if (present.size() < needed) {
            router.noPlan("waiting for workers: " + present.size() + " of the " + needed + " the plan needs have joined");
            enoughSince = 0;
            return;
        }
        long now = System.nanoTime();
        if (present.size() < config.workers().size()) {
            if (enoughSince == 0) {
                enoughSince = now;
            }
            if (now - enoughSince < STANDBY_GRACE_NANOS) {
                return;
            }
        }
        List<WorkerCapacity> capacities = present.stream().map(m -> new WorkerCapacity(m.name(), m.memoryBytes(),
                m.threads(), Backend.valueOf(m.backend().toUpperCase(Locale.ROOT)))).toList();
        ShardPlan plan;
        try {
            plan = ShardPlanner.plan(new PlanRequest(1, ModelTensors.fromGguf(model.file()), capacities,
                    config.replicas(), config.pipelineParallel(), config.tensorParallel(), contextLength(),
                    config.slots(), RESERVE_BYTES));
        } catch (PlanException e) {
            router.noPlan("no plan fits: " + e.getMessage());
            throw e;
        }
        Map<String, String> endpoints = new java.util.TreeMap<>();
        present.forEach(m -> endpoints.put(m.name(), m.aeronEndpoint()));
        Placement p = new Placement(plan, endpoints, modelBytes, Math.max(MAX_BATCH_TOKENS, config.slots()));
        if (control.publishPlan(plan.version(), p.toJson())) {
            System.err.println("coordinator " + spec.name() + ": published " + plan.summary().strip());
        }
    }

    /** Reaches each replica's head worker; routing waits for every rank's ready report. */
    private void enforce(Placement p) {
        List<ReplicaRouter.Replica> replicas = new ArrayList<>();
        for (int r = 0; r < p.plan().replicas().size(); r++) {
            replicas.add(new ReplicaRouter.Replica(r, new RemoteEngine(aeron.aeron(), "replica " + r,
                    p.channelOf(p.head(r)), replyChannel, EngineWire.REPLY_STREAM_BASE + r,
                    p.plan().contextLength(), model.config().vocabSize())));
        }
        inForce = p;
        router.replace(replicas);
    }

    /** Why replica r is not ready (a rank has not reported ready for the plan in force), or null. */
    private String notReady(int replica) {
        String[] reasons = notReadyReasons;
        return replica < reasons.length ? reasons[replica] : "no plan in force";
    }

    /** Reads every rank's ready report for the plan in force from the control plane. */
    private void refreshReadiness() {
        Placement p = inForce;
        if (p == null) {
            return;
        }
        String[] reasons = new String[p.plan().replicas().size()];
        for (int r = 0; r < reasons.length; r++) {
            for (String w : p.workers(r)) {
                Long v = control.readyVersion(w);
                if (v == null || v != p.version()) {
                    reasons[r] = "worker " + w + " has not reported ready for plan v" + p.version();
                    break;
                }
            }
        }
        notReadyReasons = reasons;
    }

    /** A worker of a replica left: that replica's requests in flight fail now rather than at their deadline. */
    private void departed(String member) {
        Placement p = inForce;
        if (p == null) {
            return;
        }
        for (ReplicaRouter.Replica r : router.replicas()) {
            if (p.workers(r.index()).contains(member)) {
                String why = "worker " + member + " of replica " + r.index() + " left the cluster";
                String[] reasons = notReadyReasons.clone();
                if (r.index() < reasons.length) {
                    reasons[r.index()] = why;
                    notReadyReasons = reasons; // until the watcher reads the ready map again
                }
                r.engine().fail(why);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        planner.interrupt();
        http.close();
        router.close();
        control.close();
        aeron.close();
        model.close();
    }
}
