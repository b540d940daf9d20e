package io.strata.coordinator.models;

import io.strata.coordinator.ServedModel;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** How a route gets the model its request names, back on the request's context. */
public final class ModelRequests {
    private ModelRequests() {
    }

    /**
     * Runs {@code body} with the model {@code name} names (loaded first if it must be) on {@code ctx}, holding it
     * until the response ends or the connection closes; {@code fail} gets what went wrong instead (and what
     * {@code body} throws).
     */
    public static void withModel(RoutingContext rc, Context ctx, ModelCatalog models, String name, KeepAlive keepAlive,
                                 Consumer<ServedModel> body, Consumer<Throwable> fail) {
        onContext(ctx, models.acquire(name, keepAlive), (lease, error) -> {
            if (error != null) {
                fail.accept(error);
                return;
            }
            HttpServerResponse r = rc.response();
            if (r.closed() || r.ended()) {
                lease.release(); // the client left while the model loaded
                return;
            }
            rc.addEndHandler(v -> lease.release());
            try {
                body.accept(lease.model());
            } catch (RuntimeException e) {
                fail.accept(e);
            }
        });
    }

    /**
     * {@code then} on {@code ctx} with the stage's outcome (its cause unwrapped); at once, on this thread, when the
     * stage is already complete (a loaded model: no hop).
     */
    public static <T> void onContext(Context ctx, CompletionStage<T> stage, BiConsumer<T, Throwable> then) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        if (f.isDone()) {
            T value;
            try {
                value = f.join();
            } catch (RuntimeException e) {
                then.accept(null, ModelPool.unwrap(e));
                return;
            }
            then.accept(value, null);
            return;
        }
        f.whenComplete((v, t) -> ctx.runOnContext(x -> then.accept(v, t == null ? null : ModelPool.unwrap(t))));
    }
}
