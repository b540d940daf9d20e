package io.strata.worker.cluster;

/** This process could not become a member of the configured cluster. */
public final class ClusterJoinException extends RuntimeException {
    public ClusterJoinException(String message) {
        super(message);
    }
}
