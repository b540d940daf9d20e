package io.strata.coordinator.cluster;

import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.EngineStats;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.InferenceEngine;
import io.strata.worker.engine.Submission;
import io.strata.worker.remote.RemoteEngine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The engine the coordinator's HTTP API submits to: the replicas of the plan in force, each reached through its
 * head worker. A request goes to the least loaded replica whose ranks all reported ready and whose head answers;
 * when none is, submit refuses with the reason (HTTP 503). The replica set is swapped whole when a new plan is
 * in force.
 */
final class ReplicaRouter implements InferenceEngine {
    /** One replica as routing sees it. */
    record Replica(int index, RemoteEngine engine) {}

    private final int contextSize;
    private final int vocabSize;
    private final IntFunction<String> notReadyReason;
    private volatile List<Replica> replicas = List.of();
    private volatile String noPlanReason = "no placement plan yet: waiting for the workers to join";

    /** @param notReadyReason why replica i is not ready (a rank has not reported ready), or null when it is */
    ReplicaRouter(int contextSize, int vocabSize, IntFunction<String> notReadyReason) {
        this.contextSize = contextSize;
        this.vocabSize = vocabSize;
        this.notReadyReason = notReadyReason;
    }

    /** Puts {@code next} in force; the previous replicas' requests in flight fail and their engines close. */
    void replace(List<Replica> next) {
        List<Replica> old = replicas;
        replicas = List.copyOf(next);
        old.forEach(r -> r.engine().close());
    }

    void noPlan(String reason) {
        noPlanReason = reason;
    }

    List<Replica> replicas() { return replicas; }

    /** Why replica r cannot take a request now, or null. */
    String unavailable(Replica r) {
        String why = notReadyReason.apply(r.index());
        return why != null ? why : r.engine().downReason();
    }

    @Override
    public int contextSize() { return contextSize; }

    @Override
    public int vocabSize() { return vocabSize; }

    @Override
    public Submission submit(GenerationRequest request, GenerationListener listener) throws EngineOverloadedException {
        List<Replica> all = replicas;
        if (all.isEmpty()) {
            throw new IllegalStateException(noPlanReason);
        }
        Replica best = null;
        List<String> reasons = new ArrayList<>();
        for (Replica r : all) {
            String why = unavailable(r);
            if (why != null) {
                reasons.add("replica " + r.index() + ": " + why);
            } else if (best == null || r.engine().inFlight() < best.engine().inFlight()) {
                best = r;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no replica is ready (" + String.join("; ", reasons) + ")");
        }
        return best.engine().submit(request, listener);
    }

    @Override
    public EngineStats stats() {
        int running = 0;
        int waiting = 0;
        double kv = 0;
        long steps = 0;
        long last = 0;
        List<Replica> all = replicas;
        for (Replica r : all) {
            EngineStats s = r.engine().stats();
            running += s.running();
            waiting += s.waiting();
            kv += s.kvCacheUsage() / all.size();
            steps += s.steps();
            last = Math.max(last, s.lastStepNanos());
        }
        return new EngineStats(running, waiting, kv, steps, last);
    }

    @Override
    public void close() {
        replace(List.of());
    }
}
