/**
 * The operator's cluster file. {@link io.strata.cluster.config.ClusterConfigLoader} reads YAML into
 * {@link io.strata.cluster.config.ClusterConfig} (cluster name, Hazelcast seeds, coordinators, workers, model,
 * replicas x pipeline_parallel x tensor_parallel); every problem is a {@link io.strata.cluster.config.ConfigProblem}
 * naming file, line and field, and one {@link io.strata.cluster.config.ConfigException} reports them all.
 * Examples: {@code cluster-config/examples/}.
 */
package io.strata.cluster.config;
