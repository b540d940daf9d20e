package io.strata.worker.distributed;

import io.strata.inference.Batch;
import io.strata.inference.KvCache;

import java.util.IdentityHashMap;

/**
 * A step's batch on the wire: per token its id, position, scheduler slot and flags (wants logits, prompt order),
 * four ints. The head encodes it from its {@link Batch}; every other rank decodes it into its own batch over its
 * own caches of the same slots.
 */
final class StepDescriptor {
    static final int FIELDS = 4;
    private static final int WANTS_LOGITS = 1;
    private static final int PROMPT_ORDER = 2;

    private StepDescriptor() {
    }

    /** Writes the batch into {@code out}; returns the number of tokens. */
    static int encode(Batch batch, IdentityHashMap<KvCache, Integer> slots, int[] out) {
        int n = batch.size();
        for (int i = 0; i < n; i++) {
            Integer slot = slots.get(batch.cache(i));
            if (slot == null) {
                throw new IllegalStateException("token " + i + " of the batch has a cache this pass did not make");
            }
            int o = i * FIELDS;
            out[o] = batch.token(i);
            out[o + 1] = batch.position(i);
            out[o + 2] = slot;
            out[o + 3] = (batch.wantsLogits(i) ? WANTS_LOGITS : 0) | (batch.promptOrder(i) ? PROMPT_ORDER : 0);
        }
        return n;
    }

    /** The opposite of {@link #encode}: rebuilds the batch over this rank's caches, by slot. */
    static void decode(int[] in, int n, Batch batch, KvCache[] caches) {
        batch.clear();
        for (int i = 0; i < n; i++) {
            int o = i * FIELDS;
            int slot = in[o + 2];
            if (slot < 0 || slot >= caches.length) {
                throw new IllegalArgumentException("slot " + slot + " is outside the " + caches.length + " slots");
            }
            batch.add(caches[slot], in[o], in[o + 1], (in[o + 3] & WANTS_LOGITS) != 0, (in[o + 3] & PROMPT_ORDER) != 0);
        }
    }

    static int logitRows(int[] in, int n) {
        int rows = 0;
        for (int i = 0; i < n; i++) {
            rows += (in[i * FIELDS + 3] & WANTS_LOGITS) != 0 ? 1 : 0;
        }
        return rows;
    }
}
