/**
 * Pure planning of who computes what. {@link io.strata.sharding.ShardPlanner} takes a
 * {@link io.strata.sharding.PlanRequest} (the model's hyperparameters and tensor table as
 * {@link io.strata.sharding.ModelTensors}, the worker inventory, replicas x pipeline stages x tensor-parallel ranks,
 * context and slots) and returns a versioned {@link io.strata.sharding.ShardPlan}: per replica, per stage a
 * contiguous layer range, per rank its {@link io.strata.sharding.RankShare} (heads, KV heads, feed-forward rows,
 * vocabulary) and the {@link io.strata.sharding.TensorSlice}s of the GGUF file it maps, with a memory estimate.
 * When nothing fits it throws a {@link io.strata.sharding.PlanException} saying what would.
 *
 * <p>Reading order: {@link io.strata.sharding.Cut} (the four ways a weight is divided) and
 * {@code TensorRules} (which weight is cut how), {@code TensorParallelSplit} (the legal splits),
 * {@code PipelineSplit} (layers by speed within memory), {@link io.strata.sharding.ShardPlanner},
 * {@link io.strata.sharding.ShardPlanJson} (the form stored in Hazelcast).
 */
package io.strata.sharding;
