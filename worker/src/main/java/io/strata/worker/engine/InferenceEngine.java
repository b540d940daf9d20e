package io.strata.worker.engine;

/**
 * What a coordinator submits generations to. In single-node mode the continuous-batching scheduler implements it
 * in-process; in the distributed design a replica's head worker does, behind Aeron. Implementations are safe to
 * call from any thread.
 */
public interface InferenceEngine extends AutoCloseable {
    /** Positions of one sequence's context window: prompt plus generated tokens must fit. */
    int contextSize();

    /** Vocabulary size (valid token ids are below it). */
    int vocabSize();

    /**
     * Queues a request. Events go to {@code listener} on the engine's thread.
     *
     * @throws EngineOverloadedException when the waiting queue is full
     * @throws IllegalArgumentException  when the request cannot fit (prompt + maxTokens beyond the context, a token
     *                                   id outside the vocabulary)
     */
    Submission submit(GenerationRequest request, GenerationListener listener) throws EngineOverloadedException;

    EngineStats stats();

    @Override
    void close();
}
