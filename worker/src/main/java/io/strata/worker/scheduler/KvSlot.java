package io.strata.worker.scheduler;

import io.strata.inference.KvCache;
import io.strata.worker.engine.ForwardPass;

/**
 * One sequence's place in the engine: a KV cache reserved on first use and kept between requests, and the prompt
 * tokens whose keys and values it still holds, so a request that repeats a prompt prefix skips recomputing it.
 * Only prompt positions count as reusable: they were computed in the prompt's summation order, so reusing them
 * gives the same bits as recomputing them (generated positions were computed one token at a time).
 */
final class KvSlot {
    final int index;
    private final ForwardPass pass;
    private final int capacity;
    private KvCache cache;
    private int[] cachedPrompt = new int[0];
    private int cachedPromptLength;
    Sequence owner;

    KvSlot(int index, ForwardPass pass, int capacity) {
        this.index = index;
        this.pass = pass;
        this.capacity = capacity;
    }

    KvCache cache() {
        if (cache == null) {
            cache = pass.newCache(index, capacity);
        }
        return cache;
    }

    /** Length of the prefix of {@code prompt} this slot holds, at most prompt.length - 1 (the last is recomputed for its logits). */
    int reusablePrefix(int[] prompt) {
        int n = Math.min(cachedPromptLength, prompt.length - 1);
        int common = 0;
        while (common < n && cachedPrompt[common] == prompt[common]) {
            common++;
        }
        return common;
    }

    /** Takes the slot for {@code seq}, keeping the first {@code reused} cached positions. */
    void assign(Sequence seq, int reused) {
        owner = seq;
        cache().truncate(Math.min(reused, cache().length()));
        cachedPrompt = seq.request.prompt();
        cachedPromptLength = reused;
    }

    /** Records that the prompt's positions below {@code length} are now in the cache. */
    void promptCachedTo(int length) {
        cachedPromptLength = length;
    }

    void release() {
        owner = null;
        if (cache != null && cache.length() < cachedPromptLength) {
            cachedPromptLength = cache.length();
        }
    }

    boolean isFree() {
        return owner == null;
    }

    int usedPositions() {
        return owner == null || cache == null ? 0 : cache.length();
    }
}
