package io.strata.worker.engine;

/**
 * A snapshot of the engine's load.
 *
 * @param running         sequences in the running batch (prefilling or decoding)
 * @param waiting         sequences queued for a free slot
 * @param kvCacheUsage    fraction 0..1 of the KV cache positions held by running sequences
 * @param steps           forward passes run since start
 * @param lastStepNanos   System.nanoTime() at the end of the last successful forward pass, 0 before the first
 */
public record EngineStats(int running, int waiting, double kvCacheUsage, long steps, long lastStepNanos) {
}
