package io.strata.cluster.config;

import java.util.Objects;

/**
 * A worker process: its Aeron data-plane port, its HTTP port (health and metrics), how much memory its weight
 * slices and KV cache may use, its compute threads and backend.
 *
 * @param hazelcastPort its control-plane port; 0 (the file names none) = any free port, found at start
 */
public record WorkerSpec(String name, String host, int aeronPort, int httpPort, ByteSize memory, int threads,
                         Backend backend, int hazelcastPort) {
    public WorkerSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(backend, "backend");
    }

    public WorkerSpec(String name, String host, int aeronPort, int httpPort, ByteSize memory, int threads,
                      Backend backend) {
        this(name, host, aeronPort, httpPort, memory, threads, backend, 0);
    }
}
