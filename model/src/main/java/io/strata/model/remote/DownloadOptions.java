package io.strata.model.remote;

import java.time.Duration;

/**
 * How blobs are fetched.
 *
 * @param parallelThresholdBytes a blob at least this large is fetched in {@code parallelParts} byte ranges at once,
 *                               when the server honours ranges
 * @param parallelParts          how many ranges a large blob is split into
 * @param maxAttempts            how many times in a row a range may fail without progress before the pull gives up
 *                               (the partial download is kept for the next pull)
 * @param retryDelay             the pause before the first retry; each further one waits this much longer
 * @param stallTimeout           a connection that delivers no byte for this long is dropped and the range resumed
 * @param connectTimeout         connecting, and waiting for a response's headers
 */
public record DownloadOptions(long parallelThresholdBytes, int parallelParts, int maxAttempts, Duration retryDelay,
                              Duration stallTimeout, Duration connectTimeout) {
    public static final DownloadOptions DEFAULT = new DownloadOptions(64L << 20, 8, 5, Duration.ofMillis(500),
            Duration.ofSeconds(30), Duration.ofSeconds(30));

    public DownloadOptions {
        if (parallelThresholdBytes < 1 || parallelParts < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("parallelThresholdBytes, parallelParts and maxAttempts must be positive");
        }
    }

    public DownloadOptions withParallel(final long thresholdBytes, final int parts) {
        return new DownloadOptions(thresholdBytes, parts, maxAttempts, retryDelay, stallTimeout, connectTimeout);
    }

    public DownloadOptions withRetries(final int attempts, final Duration delay, final Duration stall) {
        return new DownloadOptions(parallelThresholdBytes, parallelParts, attempts, delay, stall, connectTimeout);
    }
}
