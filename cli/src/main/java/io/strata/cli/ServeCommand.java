package io.strata.cli;

import io.strata.coordinator.HttpApiServer;
import io.strata.coordinator.ServedModel;
import io.strata.coordinator.ServerConfig;
import io.strata.coordinator.models.KeepAlive;
import io.strata.coordinator.models.LoadedModel;
import io.strata.coordinator.models.LocalModelLoader;
import io.strata.coordinator.models.ModelPool;
import io.strata.coordinator.models.ModelSpec;
import io.strata.model.remote.ModelReference;
import io.strata.model.remote.ModelResolver;
import io.strata.model.remote.RemoteSettings;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ResolvedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code strata serve}: the embedded single-node service. One process holds the models, their continuous-batching
 * schedulers and the HTTP API (OpenAI and Ollama); no other service is needed. It starts with MODEL loaded; a
 * request naming another model of this machine (the store, then {@code STRATA_MODEL_PATH}) loads it on demand,
 * at most {@code --max-loaded-models} at a time, as Ollama does.
 */
@Command(name = "serve", description = "Serve a model over OpenAI- and Ollama-compatible HTTP APIs (single node).")
final class ServeCommand implements java.util.concurrent.Callable<Integer> {
    /** The model served when none is named. */
    static final String DEFAULT_MODEL = "stories260K";

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "A stored model's name, a GGUF path or a name on STRATA_MODEL_PATH. Default: " + DEFAULT_MODEL + ".")
    String model = DEFAULT_MODEL;

    @Option(names = "--host", description = "Interface to listen on. Default: ${DEFAULT-VALUE}.")
    String host = "127.0.0.1";

    @Option(names = {"-p", "--port"}, description = "Port (0 = any free one). Default: ${DEFAULT-VALUE}.")
    int port = 8080;

    @Option(names = {"-np", "--parallel"}, description = "Sequences generated at once (slots). Default: ${DEFAULT-VALUE}.")
    int parallel = 8;

    @Option(names = {"-c", "--ctx-size"}, description = "Context of each slot in tokens (default: the model's num_ctx PARAMETER, else its context, at most 2048).")
    Integer contextSize;

    @Option(names = {"-b", "--batch-size"}, description = "Tokens per engine step (prompt chunks + decodes). Default: ${DEFAULT-VALUE}.")
    int batchSize = 512;

    @Option(names = "--max-queue", description = "Requests that may wait for a slot before 429. Default: ${DEFAULT-VALUE}.")
    int maxQueue = 256;

    @Option(names = {"-t", "--threads"}, description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(names = "--api-key", description = "Accepted API key (repeatable; also STRATA_API_KEYS, comma-separated). Default: none, no authentication.")
    List<String> apiKeys;

    @Option(names = "--max-body-bytes", description = "Largest request body. Default: ${DEFAULT-VALUE}.")
    long maxBody = 4L << 20;

    @Option(names = "--name", description = "The name clients use in 'model' (default: the file name without .gguf).")
    String name;

    @Option(names = "--max-loaded-models", paramLabel = "N", description = "Models loaded at once; loading another unloads the least recently used idle one (Ollama's OLLAMA_MAX_LOADED_MODELS). Default: ${DEFAULT-VALUE}.")
    int maxLoadedModels = 1;

    @Option(names = "--keep-alive", paramLabel = "DURATION", description = "How long a model loaded on demand stays after its last request when the request has no keep_alive (5m, 1h, 0, -1 = for ever; Ollama's OLLAMA_KEEP_ALIVE). MODEL itself stays until unloaded for room or by a request. Default: ${DEFAULT-VALUE}.")
    String keepAlive = "5m";

    @Option(names = "--model-wait", paramLabel = "SECONDS", description = "How long a request for a model that is not loaded waits for a loaded one's requests to end, when there is no room, before a 503. Default: ${DEFAULT-VALUE}.")
    int modelWaitSeconds = 60;

    @Override
    public Integer call() throws Exception {
        if (maxLoadedModels < 1) {
            throw new IllegalArgumentException("--max-loaded-models must be at least 1, got " + maxLoadedModels);
        }
        if (modelWaitSeconds < 0) {
            throw new IllegalArgumentException("--model-wait must be at least 0, got " + modelWaitSeconds);
        }
        KeepAlive defaultKeepAlive;
        try {
            defaultKeepAlive = KeepAlive.parse(keepAlive);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--keep-alive " + e.getMessage());
        }
        ModelLocator locator = ModelLocator.fromEnvironment();
        ResolvedModel resolved = resolve(locator, model);
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        LocalModelLoader loader = new LocalModelLoader(locator,
                new LocalModelLoader.Slots(parallel, contextSize, batchSize, maxQueue, t));
        Set<String> keys = new HashSet<>();
        if (apiKeys != null) {
            keys.addAll(apiKeys);
        }
        String env = System.getenv("STRATA_API_KEYS");
        if (env != null) {
            Arrays.stream(env.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(keys::add);
        }
        // a stored model is served under the name it was asked by (a pulled one under its store name); a file under
        // its file name
        String servedName = name != null ? name : switch (resolved) {
            case ResolvedModel.Stored s -> ModelReference.isReference(model)
                    ? ServedModel.stripLatest(s.model().name().displayShortest()) : ServedModel.stripLatest(model);
            case ResolvedModel.Packaged p -> ServedModel.stripLatest(p.model().name());
            case ResolvedModel.File f -> ServedModel.defaultName(resolved.gguf());
        };
        ModelSpec spec = LocalModelLoader.spec(servedName, resolved);
        LoadedModel first = loader.load(spec);
        ModelPool pool = new ModelPool(loader, new ModelPool.Settings(maxLoadedModels, defaultKeepAlive,
                Duration.ofSeconds(modelWaitSeconds), maxQueue), first, spec);
        HttpApiServer server;
        try {
            server = HttpApiServer.start(pool, new ServerConfig(host, port, keys, maxBody, 30));
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            pool.close();
            stopped.countDown();
        }, "strata-shutdown"));
        System.out.println("serving " + servedName + " on http://" + host + ":" + server.port()
                + " (OpenAI /v1, Ollama /api; " + parallel + " slots of " + first.served().contextSize() + " tokens"
                + "; other models on demand, " + maxLoadedModels + " loaded at most)");
        System.out.flush();
        stopped.await();
        return 0;
    }


    /** A stored model, a path, a name on STRATA_MODEL_PATH, or the same name with .gguf added. */
    static ResolvedModel resolve(ModelLocator locator, String model) {
        if (ModelReference.isReference(model)) { // pulled first when it is not in the store
            return new ModelResolver(locator, RemoteSettings.fromEnvironment(), ProgressBar.forTerminal()).resolve(model);
        }
        try {
            return locator.resolve(model);
        } catch (RuntimeException e) {
            if (!model.endsWith(".gguf")) {
                try {
                    return locator.resolve(model + ".gguf");
                } catch (RuntimeException ignored) {
                    // report the name as given
                }
            }
            if (DEFAULT_MODEL.equals(model)) {
                throw new IllegalArgumentException("the default model " + DEFAULT_MODEL + ".gguf is not on STRATA_MODEL_PATH ("
                        + e.getMessage() + "); put it in a folder listed there, or name a GGUF file: strata serve PATH");
            }
            throw e;
        }
    }
}
