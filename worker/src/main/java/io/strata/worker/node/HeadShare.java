package io.strata.worker.node;

import io.aeron.Aeron;
import io.strata.inference.LocalModel;
import io.strata.worker.distributed.HeadForwardPass;
import io.strata.worker.distributed.RankTelemetry;
import io.strata.worker.distributed.StageLayout;
import io.strata.worker.remote.EngineEndpoint;
import io.strata.worker.scheduler.ContinuousBatchScheduler;
import io.strata.worker.scheduler.SchedulerConfig;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The head of a replica (stage 0, rank 0): its share of the layers, the continuous-batching scheduler over the
 * whole replica, and the endpoint coordinators submit to. It takes requests only once every other rank listens.
 */
record HeadShare(LocalModel model, HeadForwardPass pass, ContinuousBatchScheduler scheduler, EngineEndpoint endpoint)
        implements Share {

    static HeadShare start(Aeron aeron, String channel, LocalModel model, StageLayout layout, int slots, int context,
                           int maxBatchTokens, int maxWaiting, int threads, Consumer<RankTelemetry> telemetry) {
        HeadForwardPass pass = new HeadForwardPass(model, layout, aeron, slots, context, maxBatchTokens, threads,
                WorkerNode.STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        try {
            telemetry.accept(pass);
            pass.awaitConnected(WorkerNode.CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            ContinuousBatchScheduler scheduler = new ContinuousBatchScheduler(model,
                    new SchedulerConfig(slots, context, maxBatchTokens, maxWaiting, threads), pass);
            EngineEndpoint endpoint = new EngineEndpoint(aeron, channel, scheduler, slots + maxWaiting);
            return new HeadShare(model, pass, scheduler, endpoint);
        } catch (RuntimeException e) {
            pass.close();
            throw e;
        }
    }

    @Override
    public void close() {
        endpoint.close();
        scheduler.close();
        pass.close();
        model.close();
    }
}
