package io.strata.coordinator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.Responses;
import io.strata.coordinator.health.Readiness;
import io.strata.coordinator.metrics.ServingMetrics;
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

/**
 * The HTTP front of one model in this process: OpenAI's and Ollama's APIs, {@code /health}, {@code /ready} and
 * {@code /metrics}, on Vert.x. Handlers never block the event loop: templating and tokenization run on worker
 * threads, generation on the engine's thread.
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

    /** Starts listening; returns once the port is bound. */
    public static HttpApiServer start(ServedModel model, ServerConfig config) {
        Vertx vertx = Vertx.vertx();
        try {
            ServingMetrics metrics = new ServingMetrics(model.name(), model.engine()::stats);
            Readiness readiness = new Readiness(model.engine(), model.tokenizePrompt("Hello"), config.readyWindowSeconds());
            Router router = Router.router(vertx);
            router.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
            router.route().handler(rc -> authenticate(rc, config));
            router.get("/health").handler(rc -> rc.response().putHeader("Content-Type", "application/json")
                    .end("{\"status\":\"ok\"}"));
            router.get("/ready").handler(rc -> ready(rc, readiness, model));
            router.get("/metrics").handler(rc -> rc.response().putHeader("Content-Type", metrics.contentType())
                    .end(Buffer.buffer(metrics.scrape())));
            new OpenAiRoutes(vertx, model, metrics).mount(router);
            new OllamaRoutes(vertx, model, metrics).mount(router);
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

    private static void ready(RoutingContext rc, Readiness readiness, ServedModel model) {
        ObjectNode body = Responses.object();
        body.put("model", model.name());
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
