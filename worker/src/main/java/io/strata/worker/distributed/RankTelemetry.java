package io.strata.worker.distributed;

import java.util.function.LongConsumer;

/** What a rank tells its worker's metrics: step times, all-reduce latencies and data-plane counters. */
public interface RankTelemetry {
    int stage();

    int rank();

    /** Each step's time on this rank and each all-reduce's latency, in nanoseconds; set before the first step. */
    void observe(LongConsumer stepTimes, LongConsumer allReduceLatencies);

    long bytesSent();

    long bytesReceived();

    long backPressureEvents();
}
