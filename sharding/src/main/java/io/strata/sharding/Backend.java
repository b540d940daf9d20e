package io.strata.sharding;

/** The compute backend of a worker, as its inventory reports it. */
public enum Backend {
    CPU,
    CUDA,
    ROCM
}
