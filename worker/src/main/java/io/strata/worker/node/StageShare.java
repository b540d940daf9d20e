package io.strata.worker.node;

import io.aeron.Aeron;
import io.strata.inference.LocalModel;
import io.strata.worker.distributed.RankTelemetry;
import io.strata.worker.distributed.StageLayout;
import io.strata.worker.distributed.StageWorker;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A rank other than the head: its layers and slices, run for every step the head sends, on its own thread. */
record StageShare(LocalModel model, StageWorker worker, Thread thread) implements Share {

    static StageShare start(Aeron aeron, LocalModel model, StageLayout layout, int stage, int rank, int slots,
                            int context, int maxBatchTokens, int threads, Consumer<RankTelemetry> telemetry) {
        StageWorker w = new StageWorker(model, layout, stage, rank, aeron, slots, context, maxBatchTokens, threads,
                WorkerNode.STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        telemetry.accept(w);
        Thread t = Thread.ofPlatform().name("strata-stage-" + stage + "-rank-" + rank).start(w);
        try {
            w.awaitConnected(WorkerNode.CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (RuntimeException e) {
            new StageShare(model, w, t).stop();
            throw e;
        }
        return new StageShare(model, w, t);
    }

    private void stop() {
        worker.close();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(WorkerNode.STEP_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        worker.release();
    }

    @Override
    public void close() {
        stop();
        model.close();
    }
}
