package io.strata.worker.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.sharding.RankPlan;
import io.strata.sharding.ReplicaPlan;
import io.strata.sharding.ShardPlan;
import io.strata.sharding.ShardPlanJson;
import io.strata.sharding.StagePlan;
import io.strata.transport.Channels;
import io.strata.worker.distributed.StageLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the leader coordinator publishes in the plan map: the shard plan (who computes which layers and slices),
 * where each of its workers receives on the data plane, and the model file it was made for (its size, so a worker
 * that finds another file under the same name refuses to serve it). JSON:
 * {@code {"shard_plan": {...ShardPlanJson...}, "aeron_endpoints": {"w1": "host:port", ...},
 * "model_bytes": N, "max_batch_tokens": B}}.
 */
public record Placement(ShardPlan plan, Map<String, String> aeronEndpoints, long modelBytes, int maxBatchTokens) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Placement {
        aeronEndpoints = Map.copyOf(aeronEndpoints);
        for (ReplicaPlan r : plan.replicas()) {
            for (StagePlan s : r.stages()) {
                for (RankPlan k : s.ranks()) {
                    if (!aeronEndpoints.containsKey(k.worker())) {
                        throw new IllegalArgumentException("no data-plane endpoint for worker " + k.worker());
                    }
                }
            }
        }
    }

    public long version() { return plan.version(); }

    /** The data plane of replica {@code replica}: its stages' layer ranges and each rank's channel. */
    public StageLayout layout(int replica) {
        ReplicaPlan r = plan.replicas().get(replica);
        int stages = r.stages().size();
        int[] starts = new int[stages + 1];
        List<List<String>> channels = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            StagePlan st = r.stages().get(s);
            starts[s] = (int) st.layers().start();
            starts[s + 1] = (int) st.layers().end();
            channels.add(st.ranks().stream().map(k -> channelOf(k.worker())).toList());
        }
        return new StageLayout(plan.version(), stages, plan.tensorParallel(), starts, channels);
    }

    /** The head worker (stage 0, rank 0) of replica {@code replica}: it runs the scheduler. */
    public String head(int replica) {
        return plan.replicas().get(replica).stages().get(0).ranks().get(0).worker();
    }

    /** Every worker of replica {@code replica}. */
    public List<String> workers(int replica) {
        List<String> out = new ArrayList<>();
        for (StagePlan s : plan.replicas().get(replica).stages()) {
            s.ranks().forEach(k -> out.add(k.worker()));
        }
        return out;
    }

    /** The Aeron UDP channel a worker receives on. */
    public String channelOf(String worker) {
        String hostPort = aeronEndpoints.get(worker);
        int colon = hostPort.lastIndexOf(':');
        return Channels.udp(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    public String toJson() {
        try {
            ObjectNode o = JSON.createObjectNode();
            o.set("shard_plan", JSON.readTree(ShardPlanJson.write(plan)));
            o.set("aeron_endpoints", JSON.valueToTree(new TreeMap<>(aeronEndpoints)));
            o.put("model_bytes", modelBytes);
            o.put("max_batch_tokens", maxBatchTokens);
            return JSON.writeValueAsString(o);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @throws IllegalArgumentException naming what is missing or malformed */
    public static Placement fromJson(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the placement is not JSON: " + e.getMessage());
        }
        for (String field : List.of("shard_plan", "aeron_endpoints", "model_bytes", "max_batch_tokens")) {
            if (o == null || !o.has(field)) {
                throw new IllegalArgumentException("the placement has no '" + field + "'");
            }
        }
        ShardPlan plan = ShardPlanJson.read(o.get("shard_plan").toString());
        Map<String, String> endpoints = new TreeMap<>();
        o.get("aeron_endpoints").properties().forEach(e -> endpoints.put(e.getKey(), e.getValue().asText()));
        return new Placement(plan, endpoints, o.get("model_bytes").asLong(), o.get("max_batch_tokens").asInt());
    }
}
