package io.strata.coordinator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.Responses;
import io.strata.coordinator.health.Readiness;
import io.strata.coordinator.metrics.ServingMetrics;
import io.strata.coordinator.models.FixedModel;
import io.strata.coordinator.models.ModelCatalog;
import io.strata.coordinator.ollama.OllamaRoutes;
import io.strata.coordinator.openai.OpenAiRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The HTTP front of the models of this process: OpenAI's and Ollama's APIs, {@code /health}, {@code /ready} and
 * {@code /metrics}, on Vert.x. Handlers never block the event loop: loading a model, templating and tokenization run
 * on other threads, generation on the engine's thread. Which models a request may name is the {@link ModelCatalog}'s
 * business: one for ever ({@link FixedModel}) or any the machine holds, loaded on demand ({@code ModelPool}).
 */
public final class HttpApiServer implements AutoCloseable {
    private final Vertx vertx;
    private final HttpServer server;
    private final ServingMetrics metrics;
    private final Readiness readiness;
    private final long probeTimer;

    private HttpApiServer(Vertx vertx, HttpServer server, ServingMetrics metrics, Readiness readiness, long probeTimer) {
        this.vertx = vertx;
        this.server = server;
        this.metrics = metrics;
        this.readiness = readiness;
        this.probeTimer = probeTimer;
    }

    /** Serves one model under its names; starts listening and returns once the port is bound. */
    public static HttpApiServer start(ServedModel model, ServerConfig config) {
        return start(new FixedModel(model), config);
    }

    /** Serves the models of {@code models}; starts listening and returns once the port is bound. */
    public static HttpApiServer start(ModelCatalog models, ServerConfig config) {
        Vertx vertx = Vertx.vertx();
        try {
            ServingMetrics metrics = ServingMetrics.ofModels(models.primaryName(), models::engineStats);
            models.listen(metrics);
            Readiness readiness = new Readiness(probeTargets(models), config.readyWindowSeconds());
            Router router = Router.router(vertx);
            router.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
            router.route().handler(rc -> authenticate(rc, config));
            router.get("/health").handler(rc -> rc.response().putHeader("Content-Type", "application/json")
                    .end("{\"status\":\"ok\"}"));
            router.get("/ready").handler(rc -> ready(rc, readiness, models));
            router.get("/metrics").handler(rc -> rc.response().putHeader("Content-Type", metrics.contentType())
                    .end(Buffer.buffer(metrics.scrape())));
            new OpenAiRoutes(vertx, models, metrics).mount(router);
            new OllamaRoutes(vertx, models, metrics).mount(router);
            router.route().last().handler(rc -> {
                ApiException e = ApiException.notFound(null, "no route for " + rc.request().method() + " " + rc.request().path());
                metrics.requestFailed(404);
                error(rc, e);
            });
            router.route().failureHandler(rc -> {
                int status = rc.statusCode();
                ApiException e = status == 413 ? ApiException.tooLarge(config.maxBodyBytes())
                        : status == 400 ? ApiException.badRequest(null, "malformed request: "
                        + (rc.failure() == null ? "bad request" : rc.failure().getMessage()))
                        : Responses.asApiException(rc.failure() == null ? new IllegalStateException("status " + status) : rc.failure());
                metrics.requestFailed(e.status());
                error(rc, e);
            });
            HttpServer server = vertx.createHttpServer(new HttpServerOptions()
                            .setHost(config.host()).setPort(config.port())
                            .setMaxInitialLineLength(16384).setMaxHeaderSize(65536))
                    .requestHandler(router);
            server = server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            readiness.probeIfIdle();
            long timer = vertx.setPeriodic(Math.max(500, config.readyWindowSeconds() * 250L), id -> readiness.probeIfIdle());
            return new HttpApiServer(vertx, server, metrics, readiness, timer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            vertx.close();
            throw new IllegalStateException("interrupted while starting the HTTP server");
        } catch (ExecutionException | TimeoutException e) {
            vertx.close();
            Throwable c = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": " + c.getMessage(), c);
        }
    }

    /** The catalog's probe target, its probe prompt tokenized once per model. */
    private static Supplier<Readiness.Target> probeTargets(ModelCatalog models) {
        AtomicReference<Readiness.Target> last = new AtomicReference<>();
        AtomicReference<ServedModel> lastModel = new AtomicReference<>();
        return () -> {
            ServedModel m = models.probeTarget();
            if (m == null) {
                return null;
            }
            synchronized (last) {
                if (lastModel.get() != m) {
                    last.set(new Readiness.Target(m.engine(), m.tokenizePrompt("Hello")));
                    lastModel.set(m);
                }
                return last.get();
            }
        };
    }

    /** Bearer-token check for the API routes; /health, /ready and /metrics stay open for probes and scrapers. */
    private static void authenticate(RoutingContext rc, ServerConfig config) {
        String path = rc.request().path();
        if (config.apiKeys().isEmpty() || path.equals("/health") || path.equals("/ready") || path.equals("/metrics")) {
            rc.next();
            return;
        }
        String h = rc.request().getHeader("Authorization");
        if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) && config.apiKeys().contains(h.substring(7).trim())) {
            rc.next();
            return;
        }
        error(rc, ApiException.unauthorized());
    }

    private static void ready(RoutingContext rc, Readiness readiness, ModelCatalog models) {
        ObjectNode body = Responses.object();
        ServedModel target = models.probeTarget();
        body.put("model", target != null ? target.name() : models.primaryName());
        if (readiness.ready()) {
            body.put("status", "ready");
            Responses.json(rc, 200, body);
        } else {
            body.put("status", "not ready");
            body.put("reason", readiness.reason());
            readiness.probeIfIdle();
            Responses.json(rc, 503, body);
        }
    }

    /** Errors in the shape of the API the path belongs to. */
    private static void error(RoutingContext rc, ApiException e) {
        if (rc.request().path().startsWith("/api/")) {
            Responses.ollamaError(rc, e);
        } else {
            Responses.openAiError(rc, e);
        }
    }

    public int port() { return server.actualPort(); }

    public ServingMetrics metrics() { return metrics; }

    public Readiness readiness() { return readiness; }

    @Override
    public void close() {
        vertx.cancelTimer(probeTimer);
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // closing anyway
        }
    }
}
