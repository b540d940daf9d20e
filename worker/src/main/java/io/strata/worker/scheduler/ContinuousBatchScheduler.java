package io.strata.worker.scheduler;

import io.strata.inference.Batch;
import io.strata.inference.KvCache;
import io.strata.inference.LocalModel;
import io.strata.inference.sampling.Sampler;
import io.strata.model.tokenizer.Vocabulary;
import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.EngineStats;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.ForwardPass;
import io.strata.worker.engine.RemoteSampling;
import io.strata.worker.engine.LocalForwardPass;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.InferenceEngine;
import io.strata.worker.engine.Submission;
import io.strata.worker.engine.TokenChoice;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Continuous batching over one model in this process (vLLM's engine core, llama-server's slots): one thread runs
 * step after step; each step is one forward pass over every running sequence's next token plus chunks of the prompts
 * being prefilled, within a token budget. New requests join at step boundaries when a slot is free; a finished or
 * cancelled sequence leaves at once and its slot goes to the next in the queue.
 *
 * <p>Each token's arithmetic does not depend on what else shares its batch (per-row kernels, per-token summation
 * order: see {@link Batch#add(KvCache, int, int, boolean, boolean)}), so a request returns the same tokens whether
 * it runs alone or among many.
 */
public final class ContinuousBatchScheduler implements InferenceEngine {
    private static final Logger LOG = Logger.getLogger(ContinuousBatchScheduler.class.getName());
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final LocalModel model;
    private final SchedulerConfig config;
    private final ForwardPass pass;
    private final Batch batch;
    private final float[] logits;
    private final RemoteSampling remote;
    private final int vocab;
    private final Vocabulary vocabulary;
    private final KvSlot[] slots;

    private final ConcurrentLinkedQueue<Sequence> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    /** Accepted and not yet finished: running plus queued. */
    private final AtomicInteger inSystem = new AtomicInteger();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final List<Sequence> inStep = new ArrayList<>();
    private final Thread loop;
    private volatile boolean closed;

    private volatile int runningCount;
    private volatile double kvUsage;
    private volatile long steps;
    private volatile long lastStepNanos;

    public ContinuousBatchScheduler(LocalModel model, SchedulerConfig config) {
        this(model, config, new LocalForwardPass(model, config.stepTokenBudget(), config.contextSize(), config.threads()));
    }

    /** A scheduler over any forward pass: this process's transformer, or a cluster's stages and ranks. */
    public ContinuousBatchScheduler(LocalModel model, SchedulerConfig config, ForwardPass pass) {
        this.model = model;
        this.config = config;
        this.vocab = model.config().vocabSize();
        this.vocabulary = model.tokenizer().vocabulary();
        if (pass.maxBatchTokens() < config.stepTokenBudget()) {
            throw new IllegalArgumentException("the forward pass takes " + pass.maxBatchTokens()
                    + " tokens per step, less than the step budget of " + config.stepTokenBudget());
        }
        this.pass = pass;
        this.remote = pass.sampling();
        this.batch = new Batch(config.stepTokenBudget());
        this.logits = new float[Math.multiplyExact(config.slots(), vocab)];
        this.slots = new KvSlot[config.slots()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new KvSlot(i, pass, config.contextSize());
        }
        this.loop = Thread.ofPlatform().name("strata-scheduler").daemon(true).unstarted(this::run);
        loop.start();
    }

    public SchedulerConfig config() { return config; }

    public LocalModel model() { return model; }

    @Override
    public int contextSize() { return config.contextSize(); }

    @Override
    public int vocabSize() { return vocab; }

    @Override
    public Submission submit(GenerationRequest request, GenerationListener listener) throws EngineOverloadedException {
        request.requireFits(config.contextSize(), vocab);
        if (closed) {
            throw new IllegalStateException("the engine is shut down");
        }
        if (inSystem.incrementAndGet() > config.slots() + config.maxWaiting()) {
            inSystem.decrementAndGet();
            throw new EngineOverloadedException("the queue is full (" + config.slots() + " running, "
                    + config.maxWaiting() + " waiting)", 1);
        }
        queued.incrementAndGet();
        Sequence seq = new Sequence(request, listener, this);
        incoming.add(seq);
        wake();
        return seq;
    }

    @Override
    public EngineStats stats() {
        return new EngineStats(runningCount, queued.get(), kvUsage, steps, lastStepNanos);
    }

    void wake() {
        LockSupport.unpark(loop);
    }

    private void run() {
        while (!closed) {
            try {
                if (!step()) {
                    LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                }
            } catch (Throwable t) {
                // never let the loop die: fail what was in the step and go on
                LOG.log(Level.SEVERE, "scheduler step failed", t);
                failAll(inStep, "the engine failed: " + t);
                inStep.clear();
            }
        }
        List<Sequence> left = new ArrayList<>(running);
        left.addAll(waiting);
        for (Sequence s; (s = incoming.poll()) != null; ) {
            left.add(s);
        }
        failAll(left, "the engine is shutting down");
        pass.close();
    }

    /** One scheduling round; returns false when there was nothing to run. */
    private boolean step() {
        for (Sequence s; (s = incoming.poll()) != null; ) {
            waiting.add(s);
        }
        dropCancelled();
        admit();
        publishLoad();
        if (running.isEmpty()) {
            return false;
        }
        formBatch();
        if (batch.size() == 0) {
            return false;
        }
        try {
            pass.forward(batch, logits);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "forward pass failed", e);
            failAll(inStep, "the forward pass failed: " + e.getMessage());
            inStep.clear();
            return true;
        }
        steps++;
        lastStepNanos = System.nanoTime();
        for (int i = 0; i < inStep.size(); i++) {
            advance(inStep.get(i));
        }
        inStep.clear();
        running.removeIf(Sequence::isFinished);
        publishLoad();
        return true;
    }

    private void dropCancelled() {
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            if (s.isCancelled()) {
                finish(s, FinishReason.CANCELLED);
            }
        }
        running.removeIf(Sequence::isFinished);
        if (waiting.isEmpty()) {
            return; // (an iterator per step otherwise)
        }
        for (java.util.Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.isCancelled()) {
                it.remove();
                queued.decrementAndGet();
                s.finished = true;
                notifyFinished(s, FinishReason.CANCELLED);
            }
        }
    }

    /** Moves queued requests into free slots, each into the free slot holding the longest prefix of its prompt. */
    private void admit() {
        while (!waiting.isEmpty()) {
            KvSlot best = null;
            int bestPrefix = -1;
            Sequence next = waiting.peek();
            for (KvSlot slot : slots) {
                if (slot.isFree()) {
                    int prefix = slot.reusablePrefix(next.request.prompt());
                    if (prefix > bestPrefix) {
                        best = slot;
                        bestPrefix = prefix;
                    }
                }
            }
            if (best == null) {
                return;
            }
            waiting.poll();
            queued.decrementAndGet();
            try {
                start(next, best, bestPrefix);
            } catch (RuntimeException e) {
                next.finished = true;
                best.release();
                notifyFailed(next, "could not start the request: " + e.getMessage());
            }
        }
    }

    private void start(Sequence s, KvSlot slot, int reused) {
        GenerationRequest r = s.request;
        if (remote != null) {
            remote.begin(slot.index, r.sampling(), r.prompt());
        } else {
            s.sampler = new Sampler(r.sampling(), vocab, config.contextSize());
            for (int t : r.prompt()) {
                s.sampler.accept(t);
            }
        }
        slot.assign(s, reused);
        s.slot = slot;
        s.prefilled = reused;
        running.add(s);
        try {
            s.listener.onScheduled(System.nanoTime() - s.arrivalNanos);
        } catch (RuntimeException e) {
            s.cancel();
        }
    }

    /** Decodes first (one token each, so running streams keep flowing), then prompt chunks in arrival order. */
    private void formBatch() {
        batch.clear();
        int budget = config.stepTokenBudget();
        int rows = 0;
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            s.logitsRow = -1;
            s.chunk = 0;
            if (!s.prefilling()) {
                KvCache c = s.slot.cache();
                batch.add(c, s.nextToken, c.length(), true, false);
                s.logitsRow = rows++;
                budget--;
                inStep.add(s);
            }
        }
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            if (budget == 0) {
                break;
            }
            if (s.prefilling()) {
                int[] prompt = s.request.prompt();
                int n = Math.min(budget, prompt.length - s.prefilled);
                boolean last = s.prefilled + n == prompt.length;
                boolean promptOrder = prompt.length >= 2;
                KvCache c = s.slot.cache();
                int pos = c.length();
                for (int j = 0; j < n; j++) {
                    boolean wantLogits = last && j == n - 1;
                    batch.add(c, prompt[s.prefilled + j], pos + j, wantLogits, promptOrder);
                }
                if (last) {
                    s.logitsRow = rows++;
                }
                s.chunk = n;
                budget -= n;
                inStep.add(s);
            }
        }
    }

    /** After the forward pass: the prompt moves on; a sequence with logits samples its next token. */
    private void advance(Sequence s) {
        if (s.chunk > 0) {
            s.prefilled += s.chunk;
            s.slot.promptCachedTo(s.prefilled);
        }
        if (s.logitsRow < 0 || s.finished) {
            return;
        }
        int token = remote != null ? remote.token(s.logitsRow) : sampleHere(s);
        if (!s.request.ignoreEos() && vocabulary.isEndOfGeneration(token)) {
            finish(s, FinishReason.END_OF_GENERATION);
            return;
        }
        s.generated++;
        TokenChoice choice = s.request.sampling().logprobs() > 0 ? choiceOf(s) : null;
        try {
            s.listener.onToken(token, choice);
        } catch (RuntimeException e) {
            finish(s, FinishReason.CANCELLED);
            return;
        }
        if (s.generated >= s.request.maxTokens()) {
            finish(s, FinishReason.LENGTH);
        } else if (s.slot.cache().length() + 1 >= config.contextSize()) {
            finish(s, FinishReason.CONTEXT_FULL);
        } else if (s.isCancelled()) {
            finish(s, FinishReason.CANCELLED);
        } else {
            s.nextToken = token;
        }
    }

    private int sampleHere(Sequence s) {
        int token = s.sampler.sample(logits, s.logitsRow * vocab, vocab);
        s.sampler.accept(token);
        return token;
    }

    private TokenChoice choiceOf(Sequence s) {
        return remote != null ? remote.choice(s.logitsRow) : TokenChoice.copyOf(s.sampler.logprobs());
    }

    private void finish(Sequence s, FinishReason reason) {
        if (s.finished) {
            return;
        }
        s.finished = true;
        s.slot.release();
        publishLoad(); // before the listener hears of it: a caller that sees the end sees the slot free
        notifyFinished(s, reason);
    }

    private void notifyFinished(Sequence s, FinishReason reason) {
        inSystem.decrementAndGet();
        try {
            s.listener.onFinished(reason, s.request.prompt().length, s.generated);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "listener of " + s.request.id() + " failed", e);
        }
    }

    private void notifyFailed(Sequence s, String message) {
        inSystem.decrementAndGet();
        try {
            s.listener.onFailed(message);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "listener of " + s.request.id() + " failed", e);
        }
    }

    private void failAll(List<Sequence> sequences, String message) {
        for (Sequence s : sequences) {
            if (!s.finished) {
                s.finished = true;
                if (s.slot != null) {
                    s.slot.release();
                }
                notifyFailed(s, message);
            }
        }
        running.removeIf(Sequence::isFinished);
        waiting.removeIf(Sequence::isFinished);
    }

    private void publishLoad() {
        long used = 0;
        int busy = 0;
        for (KvSlot slot : slots) {
            used += slot.usedPositions();
            busy += slot.isFree() ? 0 : 1;
        }
        kvUsage = (double) used / ((long) slots.length * config.contextSize());
        runningCount = busy;
    }

    @Override
    public void close() {
        closed = true;
        wake();
        try {
            loop.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
