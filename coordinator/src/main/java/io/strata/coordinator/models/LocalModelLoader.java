package io.strata.coordinator.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.ModelFacts;
import io.strata.coordinator.ServedModel;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.JsonRequest;
import io.strata.inference.LocalModel;
import io.strata.model.ModelSource;
import io.strata.model.arch.ModelConfig;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.modelfile.Parameter;
import io.strata.model.remote.ModelReference;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.ResolvedModel;
import io.strata.model.store.StoreException;
import io.strata.model.store.StoredModel;
import io.strata.worker.scheduler.ContinuousBatchScheduler;
import io.strata.worker.scheduler.SchedulerConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Models of this machine for {@code strata serve}: names resolved through the local store, then the
 * {@code STRATA_MODEL_PATH} folders (never a path: a client must not name arbitrary files), each opened with a
 * continuous-batching scheduler of the server's slot settings and its Modelfile defaults.
 *
 * <p>A pull reference ({@code hf://}, {@code oci://}, {@code ollama://}, {@code https://}) names the model a pull
 * stored under it; one that has not been pulled is refused with a 400, not pulled: a request would otherwise make
 * the server download whatever a client names, for as long as the client likes, onto its disk. {@code file://} is
 * refused too (it names a path).
 */
public final class LocalModelLoader implements ModelLoader {
    /**
     * How each model's scheduler is sized (the {@code serve} flags).
     *
     * @param contextSize positions per slot, or null for the model's num_ctx PARAMETER, else its training context up
     *                    to {@value #MAX_DEFAULT_CONTEXT}
     */
    public record Slots(int parallel, Integer contextSize, int batchSize, int maxQueue, int threads) {}

    /** The largest context a model gets when neither the server nor its Modelfile says (as llama-server's default). */
    public static final int MAX_DEFAULT_CONTEXT = 2048;

    private final ModelLocator locator;
    private final Slots slots;

    public LocalModelLoader(ModelLocator locator, Slots slots) {
        this.locator = locator;
        this.slots = slots;
    }

    public ModelLocator locator() { return locator; }

    /** The spec of a model resolved elsewhere (the one {@code serve} was started with), served as {@code name}. */
    public static ModelSpec spec(String name, ResolvedModel resolved) {
        return new ModelSpec(ModelSpec.keyOf(resolved), name, resolved);
    }

    @Override
    public ModelSpec resolve(String requested) {
        if (requested == null || requested.isBlank()) {
            throw ApiException.badRequest("model", "'model' must name a model");
        }
        if (ModelReference.isReference(requested)) {
            return reference(requested);
        }
        // the name as written, then without Ollama's :latest, then as a GGUF file name on the search path
        String bare = ServedModel.stripLatest(requested);
        for (String candidate : bare.equals(requested) ? List.of(requested, requested + ".gguf")
                : List.of(requested, bare, bare + ".gguf")) {
            Optional<ResolvedModel> found;
            try {
                found = locator.findNamed(candidate);
            } catch (StoreException e) {
                throw ApiException.internal("the model store cannot be read for '" + requested + "': " + e.getMessage());
            }
            // a file on the search path that is no model (a README) is not a name a request can load
            if (found.isPresent() && (!(found.get() instanceof ResolvedModel.File f) || ModelSource.looksLikeModel(f.gguf()))) {
                return spec(servedName(found.get()), found.get());
            }
        }
        throw new UnknownModelException(requested, where());
    }

    private String where() {
        return "it is not in the model store" + locator.store().map(s -> " (" + s.root() + ")").orElse("")
                + " and not a file name in the " + ModelLocator.ENV + " folders " + locator.roots().stream()
                .map(Object::toString).toList() + "; `strata pull` or `strata create` puts a model in the store";
    }

    /** A pull reference: the stored model it was pulled as, never a pull. */
    private ModelSpec reference(String requested) {
        ModelReference ref;
        ModelName name;
        try {
            ref = ModelReference.parse(requested);
            if (ref instanceof ModelReference.LocalFile) {
                throw ApiException.badRequest("model", "'" + requested + "': a request cannot name a file of the"
                        + " server; `strata pull " + requested + "` or `strata create` puts it in the store");
            }
            name = ref.defaultName();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("model", e.getMessage());
        }
        Optional<StoredModel> stored = locator.store().flatMap(s -> s.find(name));
        if (stored.isEmpty()) {
            throw ApiException.badRequest("model", "'" + requested + "' has not been pulled (it would be stored as "
                    + name.displayShortest() + "); a request never pulls a model: run `strata pull " + requested
                    + "` on the server first");
        }
        ModelStore store = locator.store().orElseThrow();
        return spec(ServedModel.stripLatest(name.displayShortest()),
                new ResolvedModel.Stored(stored.get(), store.modelFile(stored.get())));
    }

    /** A stored model under its shortest name; a file under its file name without {@code .gguf}. */
    private static String servedName(ResolvedModel r) {
        return switch (r) {
            case ResolvedModel.Stored s -> ServedModel.stripLatest(s.model().name().displayShortest());
            case ResolvedModel.Packaged p -> ServedModel.stripLatest(p.model().name());
            case ResolvedModel.File f -> ServedModel.defaultName(f.gguf());
        };
    }

    @Override
    public LoadedModel load(ModelSpec spec) {
        ResolvedModel r = spec.resolved();
        ModelDefaults defaults = ModelDefaults.of(locator, r);
        LocalModel model = LocalModel.open(r.open());
        try {
            int ctx = contextFor(defaults, model.config().contextLength());
            ContinuousBatchScheduler engine = new ContinuousBatchScheduler(model, new SchedulerConfig(slots.parallel(),
                    ctx, Math.max(slots.batchSize(), slots.parallel()), slots.maxQueue(), slots.threads()));
            ServedModel served = new ServedModel(ModelFacts.of(spec.name(), r.gguf(), model.file(), defaults, ctx,
                    manifestDigest(r)), model, engine);
            return new LoadedModel(served, () -> {
                engine.close(); // joins the engine's thread: nothing uses the mapping after this
                model.close();
            });
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The server's context, else the model's num_ctx, else its training context up to 2048. */
    public int contextFor(ModelDefaults defaults, int trainingContext) {
        return slots.contextSize() != null ? slots.contextSize()
                : defaults.integer(Parameter.NUM_CTX).orElse(Math.min(trainingContext, MAX_DEFAULT_CONTEXT));
    }

    private static String manifestDigest(ResolvedModel r) {
        return r instanceof ResolvedModel.Stored s ? s.model().manifestDigest().hex() : null;
    }

    @Override
    public <T> T inspect(ModelSpec spec, Function<ModelFacts, T> reader) {
        ResolvedModel r = spec.resolved();
        ModelDefaults defaults = ModelDefaults.of(locator, r);
        try (ModelSource source = r.open()) {
            int training;
            try {
                training = ModelConfig.of(source).contextLength();
            } catch (RuntimeException e) {
                training = MAX_DEFAULT_CONTEXT; // described all the same; loading it would say what is wrong
            }
            return reader.apply(ModelFacts.of(spec.name(), r.gguf(), source, defaults,
                    contextFor(defaults, training), manifestDigest(r)));
        }
    }

    /** The store's models, each described by its manifest and config blob, as Ollama's tags does (no GGUF read). */
    @Override
    public List<ListedModel> listed() {
        Optional<ModelStore> store = locator.store();
        if (store.isEmpty() || !java.nio.file.Files.isDirectory(store.get().manifestsRoot())) {
            return List.of();
        }
        List<ListedModel> out = new ArrayList<>();
        for (StoredModel m : store.get().list().models()) {
            JsonNode config;
            try {
                config = JsonRequest.MAPPER.readTree(store.get().readText(m.manifest().config()));
            } catch (Exception e) {
                config = JsonRequest.MAPPER.createObjectNode(); // listed without details, as `strata list` does
            }
            out.add(new ListedModel(m.name().displayShortest(), m.modified(), m.size(), m.manifestDigest().hex(),
                    config.path("model_family").asText(""), config.path("model_type").asText(""),
                    config.path("file_type").asText(""), 0));
        }
        return out;
    }
}
