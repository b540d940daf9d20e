package io.strata.coordinator.models;

import io.strata.coordinator.ModelFacts;
import io.strata.coordinator.ServedModel;
import io.strata.coordinator.api.ApiException;
import io.strata.worker.engine.EngineStats;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Models loaded on demand, as Ollama's scheduler keeps them: a request naming a model that is not loaded loads it
 * (once, however many requests wait for it), at most {@code maxLoaded} at a time. To make room, the least recently
 * used model that no request holds is unloaded (its engine stopped, its mapping released) before the new one loads;
 * a model that requests hold is never unloaded under them, so a request that needs room waits for one to end, up
 * to {@code maxWait}, then gets a 503 saying why. After its last request a model stays loaded for its keep-alive
 * (the last request's {@code keep_alive}, else the server's default; the model the server started with: for ever),
 * then is unloaded.
 *
 * <p>Every state change happens under this object's lock and is cheap; resolving names, loading and unloading run
 * on the pool's own threads, never on the caller's (an event loop). Loads and unloads share one thread, in order,
 * so an unload that makes room has released its memory before the load that needed the room begins.
 */
public final class ModelPool implements ModelCatalog {
    private static final Logger LOG = Logger.getLogger(ModelPool.class.getName());

    /**
     * @param maxLoaded        models loaded (or loading) at once
     * @param defaultKeepAlive how long a model loaded on demand stays after its last request when the request says
     *                         nothing
     * @param maxWait          how long a request waits for room before a 503
     * @param maxWaiting       requests that may wait for room at once before a 503
     */
    public record Settings(int maxLoaded, KeepAlive defaultKeepAlive, Duration maxWait, int maxWaiting) {
        public Settings {
            if (maxLoaded < 1) {
                throw new IllegalArgumentException("the number of loaded models must be at least 1, got " + maxLoaded);
            }
            if (maxWait.isNegative()) {
                throw new IllegalArgumentException("the wait for a model must not be negative, got " + maxWait);
            }
            if (maxWaiting < 0) {
                throw new IllegalArgumentException("the requests waiting for a model must be >= 0, got " + maxWaiting);
            }
        }
    }

    private final ModelLoader loader;
    private final Settings settings;
    private final ModelSpec primary;
    /** Loads and unloads, one at a time and in order. */
    private final ExecutorService loads = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("strata-model-loader").daemon(true).factory());
    /** Name resolution and inspection: file reads, any number at once. */
    private final ExecutorService reads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("strata-model-read-", 0).factory());
    /** Keep-alive expiries and wait deadlines. */
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("strata-model-timer").daemon(true).factory());

    // ---- guarded by this
    private final List<Entry> entries = new ArrayList<>();
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private ModelEvents events = ModelEvents.NONE;
    private boolean closed;

    /** One model loading or loaded. */
    private static final class Entry {
        final ModelSpec spec;
        final CompletableFuture<LoadedModel> ready = new CompletableFuture<>();
        LoadedModel loaded;        // null while loading
        int leases;
        long lastUsedNanos = System.nanoTime();
        KeepAlive keepAlive;
        ScheduledFuture<?> expiry;
        Instant expiresAt;          // when idle with a finite keep-alive
        long idleToken;             // which idle period an expiry belongs to

        Entry(ModelSpec spec, KeepAlive keepAlive) {
            this.spec = spec;
            this.keepAlive = keepAlive;
        }
    }

    /** A request waiting for room to load its model. */
    private record Waiter(ModelSpec spec, KeepAlive keepAlive, CompletableFuture<ModelLease> result) {}

    /**
     * A pool over {@code loader}, holding {@code primary} (already loaded: the model the server was started with,
     * kept for ever unless a request's keep_alive or the room for another model unloads it; null: none).
     */
    public ModelPool(ModelLoader loader, Settings settings, LoadedModel primary, ModelSpec primarySpec) {
        this.loader = loader;
        this.settings = settings;
        this.primary = primarySpec;
        if (primary != null) {
            Entry e = new Entry(primarySpec, KeepAlive.FOREVER);
            e.loaded = primary;
            e.ready.complete(primary);
            entries.add(e);
        }
    }

    @Override
    public synchronized void listen(ModelEvents events) {
        this.events = events;
    }

    @Override
    public String primaryName() {
        return primary != null ? primary.name() : "none";
    }

    // ---- acquiring

    @Override
    public CompletionStage<ModelLease> acquire(String requested, KeepAlive keepAlive) {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(shuttingDown());
            }
            Entry e = byName(requested);
            if (e != null) {
                return attach(e, keepAlive);
            }
            if (primary != null && primary.answersTo(requested)) {
                return place(primary, keepAlive);
            }
        }
        return CompletableFuture.supplyAsync(() -> loader.resolve(requested), reads)
                .thenCompose(spec -> place(spec, keepAlive));
    }

    /** The spec's model: attached to its entry if it has one, else loaded when there is room, else queued. */
    private synchronized CompletionStage<ModelLease> place(ModelSpec spec, KeepAlive keepAlive) {
        if (closed) {
            return CompletableFuture.failedFuture(shuttingDown());
        }
        Entry e = byKey(spec.key());
        if (e != null) {
            return attach(e, keepAlive);
        }
        Waiter w = new Waiter(spec, keepAlive, new CompletableFuture<>());
        if (tryPlace(w)) {
            return w.result();
        }
        if (settings.maxWait().isZero() || waiting.size() >= settings.maxWaiting()) {
            return CompletableFuture.failedFuture(noRoom(spec, waiting.size() >= settings.maxWaiting()
                    && !settings.maxWait().isZero()));
        }
        waiting.add(w);
        timers.schedule(() -> timeout(w), settings.maxWait().toNanos(), TimeUnit.NANOSECONDS);
        return w.result();
    }

    /** Loads the waiter's model if there is room or an idle model to unload for it. */
    private boolean tryPlace(Waiter w) {
        Entry e = byKey(w.spec().key());
        if (e != null) {
            forward(attach(e, w.keepAlive()), w.result());
            return true;
        }
        if (entries.size() >= settings.maxLoaded()) {
            Entry victim = entries.stream().filter(x -> x.loaded != null && x.leases == 0)
                    .min(Comparator.comparingLong(x -> x.lastUsedNanos)).orElse(null);
            if (victim == null) {
                return false;
            }
            unload(victim, "lru");
        }
        Entry n = new Entry(w.spec(), defaultKeepAlive(w.spec()));
        entries.add(n);
        forward(attach(n, w.keepAlive()), w.result());
        loads.execute(() -> load(n));
        return true;
    }

    private boolean isPrimary(ModelSpec spec) {
        return primary != null && primary.key().equals(spec.key());
    }

    private KeepAlive defaultKeepAlive(ModelSpec spec) {
        return isPrimary(spec) ? KeepAlive.FOREVER : settings.defaultKeepAlive();
    }

    private static <T> void forward(CompletionStage<T> from, CompletableFuture<T> to) {
        from.whenComplete((v, t) -> {
            if (t != null) {
                to.completeExceptionally(t);
            } else if (!to.complete(v) && v instanceof ModelLease l) {
                l.release(); // nobody took it
            }
        });
    }

    /**
     * A lease on the entry, once it is loaded. As in Ollama, each request sets the keep-alive that follows it: its
     * own, else the default (for ever for the model the server started with).
     */
    private CompletionStage<ModelLease> attach(Entry e, KeepAlive keepAlive) {
        e.leases++;
        e.lastUsedNanos = System.nanoTime();
        e.keepAlive = keepAlive != null ? keepAlive : defaultKeepAlive(e.spec);
        e.idleToken++;
        if (e.expiry != null) {
            e.expiry.cancel(false);
            e.expiry = null;
            e.expiresAt = null;
        }
        return e.ready.thenApply(m -> new Lease(e, m.served()));
    }

    private void load(Entry e) {
        long start = System.nanoTime();
        LoadedModel m;
        try {
            m = loader.load(e.spec);
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "cannot load model " + e.spec.name(), t);
            synchronized (this) {
                entries.remove(e);
                drain();
            }
            e.ready.completeExceptionally(t instanceof ApiException ? t
                    : ApiException.internal("cannot load model '" + e.spec.name() + "': " + t.getMessage()));
            return;
        }
        ModelEvents ev;
        synchronized (this) {
            if (closed || !entries.contains(e)) {
                closeQuietly(m);
                e.ready.completeExceptionally(shuttingDown());
                return;
            }
            e.loaded = m;
            ev = events;
        }
        ev.loaded(e.spec.name(), System.nanoTime() - start);
        e.ready.complete(m);
    }

    private final class Lease implements ModelLease {
        private final Entry entry;
        private final ServedModel model;
        private final AtomicBoolean released = new AtomicBoolean();

        Lease(Entry entry, ServedModel model) {
            this.entry = entry;
            this.model = model;
        }

        @Override
        public ServedModel model() { return model; }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                released(entry);
            }
        }
    }

    private synchronized void released(Entry e) {
        e.leases--;
        e.lastUsedNanos = System.nanoTime();
        if (e.leases > 0 || !entries.contains(e)) {
            return;
        }
        KeepAlive k = e.keepAlive;
        if (k.zero()) {
            unload(e, "keep_alive");
        } else if (!k.forever()) {
            e.expiresAt = Instant.now().plusNanos(k.nanos());
            long token = ++e.idleToken;
            e.expiry = timers.schedule(() -> expire(e, token), k.nanos(), TimeUnit.NANOSECONDS);
        }
        drain();
    }

    private synchronized void expire(Entry e, long token) {
        if (entries.contains(e) && e.leases == 0 && e.idleToken == token) {
            unload(e, "expired");
            drain();
        }
    }

    /** Places the waiters that now can be, in arrival order. */
    private void drain() {
        for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.result().isDone() || tryPlace(w)) {
                it.remove();
            }
        }
    }

    private synchronized void timeout(Waiter w) {
        if (waiting.remove(w)) {
            w.result().completeExceptionally(noRoom(w.spec(), false));
        }
    }

    /** Removes the entry now (no request can take it any more) and closes it on the load thread. */
    private void unload(Entry e, String reason) {
        entries.remove(e);
        if (e.expiry != null) {
            e.expiry.cancel(false);
        }
        LoadedModel m = e.loaded;
        ModelEvents ev = events;
        loads.execute(() -> {
            closeQuietly(m);
            ev.unloaded(e.spec.name(), reason);
        });
    }

    private static void closeQuietly(LoadedModel m) {
        try {
            m.close();
        } catch (Exception x) {
            LOG.log(Level.WARNING, "closing model " + m.served().name(), x);
        }
    }

    private ApiException noRoom(ModelSpec spec, boolean queueFull) {
        List<String> busy = entries.stream().map(x -> x.spec.name() + (x.loaded == null ? " (loading)" : "")).toList();
        String why = "cannot load model '" + spec.name() + "': the server holds at most " + settings.maxLoaded()
                + " loaded model" + (settings.maxLoaded() == 1 ? "" : "s") + " (--max-loaded-models) and "
                + (busy.size() == 1 ? "that one, " : "all of them, ") + String.join(", ", busy) + ", "
                + (busy.size() == 1 ? "is" : "are") + " serving requests";
        return ApiException.unavailable(queueFull ? why + "; " + settings.maxWaiting() + " requests already wait for room"
                : why + (settings.maxWait().isZero() ? "" : "; waited " + seconds(settings.maxWait())));
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static ApiException shuttingDown() {
        return ApiException.unavailable("the server is shutting down");
    }

    private Entry byName(String requested) {
        for (Entry e : entries) {
            if (e.spec.answersTo(requested)) {
                return e;
            }
        }
        return null;
    }

    private Entry byKey(String key) {
        for (Entry e : entries) {
            if (e.spec.key().equals(key)) {
                return e;
            }
        }
        return null;
    }

    // ---- unloading on request, inspecting, listing

    @Override
    public CompletionStage<Boolean> unload(String requested) {
        synchronized (this) {
            Entry e = byName(requested);
            if (e != null) {
                return CompletableFuture.completedFuture(unloadWhenIdle(e));
            }
        }
        return CompletableFuture.supplyAsync(() -> loader.resolve(requested), reads).thenApply(spec -> {
            synchronized (this) {
                Entry e = byKey(spec.key());
                return e != null && unloadWhenIdle(e);
            }
        });
    }

    /** Unloads now if no request holds it, else once the last one ends; false while it is still loading. */
    private boolean unloadWhenIdle(Entry e) {
        if (e.loaded == null) {
            e.keepAlive = KeepAlive.ZERO;
            return false;
        }
        if (e.leases == 0) {
            unload(e, "keep_alive");
            drain();
        } else {
            e.keepAlive = KeepAlive.ZERO;
        }
        return true;
    }

    @Override
    public <T> CompletionStage<T> inspect(String requested, Function<ModelFacts, T> reader) {
        ModelSpec known;
        synchronized (this) {
            Entry e = byName(requested);
            known = e != null ? e.spec : primary != null && primary.answersTo(requested) ? primary : null;
        }
        // the files are opened afresh, as Ollama's show reads them: no lease, so an unload is never held up
        return CompletableFuture.supplyAsync(() -> loader.inspect(known != null ? known : loader.resolve(requested),
                reader), reads);
    }

    /** The store's models (with the context of those loaded), then the loaded ones the store does not hold. */
    @Override
    public List<ListedModel> list() {
        Map<String, ServedModel> loadedByDigest = new LinkedHashMap<>();
        loaded().forEach(s -> loadedByDigest.putIfAbsent(s.model().digest(), s.model()));
        List<ListedModel> out = new ArrayList<>();
        for (ListedModel m : loader.listed()) {
            ServedModel live = loadedByDigest.remove(m.digest());
            out.add(live == null ? m : new ListedModel(m.name(), m.modified(), m.size(), m.digest(), m.family(),
                    m.parameterSize(), m.quantization(), live.contextSize()));
        }
        loadedByDigest.values().forEach(live -> out.add(ListedModel.of(live.facts())));
        return out;
    }

    @Override
    public synchronized List<LoadedStatus> loaded() {
        List<LoadedStatus> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.loaded != null) {
                Instant expires = e.leases > 0 ? (e.keepAlive.forever() ? null : Instant.now().plusNanos(e.keepAlive.nanos()))
                        : e.keepAlive.forever() ? null : e.expiresAt;
                out.add(new LoadedStatus(e.loaded.served(), e.leases > 0, expires));
            }
        }
        return out;
    }

    @Override
    public synchronized Map<String, EngineStats> engineStats() {
        Map<String, EngineStats> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.loaded != null) {
                out.merge(e.loaded.served().name(), e.loaded.served().engine().stats(), ModelPool::sum);
            }
        }
        return out;
    }

    private static EngineStats sum(EngineStats a, EngineStats b) {
        return new EngineStats(a.running() + b.running(), a.waiting() + b.waiting(),
                Math.max(a.kvCacheUsage(), b.kvCacheUsage()), a.steps() + b.steps(),
                Math.max(a.lastStepNanos(), b.lastStepNanos()));
    }

    @Override
    public synchronized ServedModel probeTarget() {
        // the server's own model while it is loaded, else the one used last
        Entry best = null;
        for (Entry e : entries) {
            if (e.loaded != null && isPrimary(e.spec)) {
                return e.loaded.served();
            }
            if (e.loaded != null && (best == null || e.lastUsedNanos > best.lastUsedNanos)) {
                best = e;
            }
        }
        return best == null ? null : best.loaded.served();
    }

    /** Unloads every model (requests still running on them fail) and stops the pool's threads. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            waiting.forEach(w -> w.result().completeExceptionally(shuttingDown()));
            waiting.clear();
            for (Entry e : new ArrayList<>(entries)) {
                if (e.loaded != null) {
                    unload(e, "shutdown");
                } else {
                    entries.remove(e); // its load finds it gone and closes what it opened
                }
            }
        }
        timers.shutdownNow();
        reads.shutdown();
        loads.shutdown();
        try {
            if (!loads.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warning("models still unloading after 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The cause a stage failed with, not its CompletionException wrapper. */
    static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
