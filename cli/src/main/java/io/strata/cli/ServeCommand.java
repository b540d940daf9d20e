package io.strata.cli;

import io.strata.coordinator.HttpApiServer;
import io.strata.coordinator.ServedModel;
import io.strata.coordinator.ServerConfig;
import io.strata.inference.LocalModel;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.modelfile.Parameter;
import io.strata.model.remote.ModelReference;
import io.strata.model.remote.ModelResolver;
import io.strata.model.remote.RemoteSettings;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ResolvedModel;
import io.strata.worker.scheduler.ContinuousBatchScheduler;
import io.strata.worker.scheduler.SchedulerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code strata serve}: the embedded single-node service. One process holds the model, the continuous-batching
 * scheduler and the HTTP API (OpenAI and Ollama); no other service is needed.
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

    @Override
    public Integer call() throws Exception {
        ModelLocator locator = ModelLocator.fromEnvironment();
        ResolvedModel resolved = resolve(locator, model);
        ModelDefaults defaults = ModelDefaults.of(locator, resolved);
        Path path = resolved.gguf();
        LocalModel m = LocalModel.open(resolved.open());
        // --ctx-size, else the model's num_ctx, else the GGUF's context up to 2048
        int ctx = contextSize != null ? contextSize
                : defaults.integer(Parameter.NUM_CTX).orElse(Math.min(m.config().contextLength(), 2048));
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        ContinuousBatchScheduler engine = new ContinuousBatchScheduler(m,
                new SchedulerConfig(parallel, ctx, Math.max(batchSize, parallel), maxQueue, t));
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
                    ? stripLatest(s.model().name().displayShortest()) : stripLatest(model);
            case ResolvedModel.Packaged p -> stripLatest(p.model().name());
            case ResolvedModel.File f -> ServedModel.defaultName(path);
        };
        ServedModel served = new ServedModel(servedName, path, m, engine, defaults);
        HttpApiServer server;
        try {
            server = HttpApiServer.start(served, new ServerConfig(host, port, keys, maxBody, 30));
        } catch (RuntimeException e) {
            engine.close();
            m.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            engine.close();
            m.close();
            stopped.countDown();
        }, "strata-shutdown"));
        System.out.println("serving " + served.name() + " on http://" + host + ":" + server.port()
                + " (OpenAI /v1, Ollama /api; " + parallel + " slots of " + ctx + " tokens)");
        System.out.flush();
        stopped.await();
        return 0;
    }

    private static String stripLatest(String ref) {
        return ref.endsWith(":latest") ? ref.substring(0, ref.length() - 7) : ref;
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
