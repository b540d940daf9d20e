package io.strata.coordinator;

import io.strata.inference.Generator;
import io.strata.inference.LocalModel;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.store.ModelLocator;
import io.strata.worker.engine.InferenceEngine;
import io.strata.model.tokenizer.Utf8StreamDecoder;
import io.strata.worker.scheduler.ContinuousBatchScheduler;
import io.strata.worker.scheduler.SchedulerConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/** A real server on a loopback port over stories260K, with the engine it drives, for the HTTP tests. */
final class TestServer implements AutoCloseable {
    final LocalModel model;
    final ContinuousBatchScheduler engine;
    final ServedModel served;
    final HttpApiServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TestServer(SchedulerConfig scheduler, ServerConfig config) {
        this(scheduler, config, "stories260K", ModelDefaults.NONE, null);
    }

    /**
     * stories260K served under {@code name} with a stored model's defaults; {@code engineView} (may be null) wraps
     * the engine the server submits to, e.g. to record what each request became.
     */
    TestServer(SchedulerConfig scheduler, ServerConfig config, String name, ModelDefaults defaults,
               java.util.function.UnaryOperator<InferenceEngine> engineView) {
        Path path = ModelLocator.fromEnvironment().locate("stories260K.gguf");
        this.model = LocalModel.open(path);
        this.engine = new ContinuousBatchScheduler(model, scheduler);
        InferenceEngine served = engineView == null ? engine : engineView.apply(engine);
        this.served = new ServedModel(name, path, model, served, defaults);
        this.server = HttpApiServer.start(this.served, config.withPort(0));
    }

    static TestServer standard() {
        return new TestServer(new SchedulerConfig(8, 256, 64, 64, 2), ServerConfig.defaults());
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postBytes(String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The oracle: what the engine alone (the CLI's Generator) generates greedily for this prompt text. */
    String greedyAlone(String prompt, int maxTokens) {
        return greedyAlone(model.tokenizer().encode(prompt, true, true), maxTokens);
    }

    String greedyAlone(int[] ids, int maxTokens) {
        StringBuilder out = new StringBuilder();
        Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
        try (Generator g = new Generator(model, 256, 64)) {
            g.generate(ids, new Sampler(SamplingParams.greedy(), model.config().vocabSize()), maxTokens, t -> {
                out.append(utf8.feed(model.tokenizer().piece(t, false)));
                return true;
            });
        }
        return out.append(utf8.flush()).toString();
    }

    @Override
    public void close() {
        server.close();
        engine.close();
        model.close();
    }
}
