package io.strata.sharding;

import java.util.List;

/** One independent copy of the model: its pipeline stages, in order. */
public record ReplicaPlan(int replica, List<StagePlan> stages) {
    public ReplicaPlan {
        stages = List.copyOf(stages);
    }
}
