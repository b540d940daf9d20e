package io.strata.worker.node;

/** What a worker runs for one placement: the head of a replica, or another rank of it. */
sealed interface Share extends AutoCloseable permits HeadShare, StageShare {
    /** Stops taking work, frees the rank's buffers and unmaps the model. */
    @Override
    void close();
}
