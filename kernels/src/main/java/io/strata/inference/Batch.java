package io.strata.inference;

/**
 * The input of one forward pass: tokens from any number of sequences, each token with its sequence's KV cache and
 * its position, and whether its logits are wanted. A prefill contributes many consecutive tokens of one sequence,
 * a decode one token; both mix freely in one batch. Reused across steps: {@link #clear()} then {@link #add}.
 */
public final class Batch {
    private final int capacity;
    final int[] tokens;
    final int[] positions;
    final KvCache[] caches;
    final boolean[] wantLogits;
    final boolean[] batchedOrder;
    private int size;
    private int logitRows;

    public Batch(int capacity) {
        this.capacity = capacity;
        this.tokens = new int[capacity];
        this.positions = new int[capacity];
        this.caches = new KvCache[capacity];
        this.wantLogits = new boolean[capacity];
        this.batchedOrder = new boolean[capacity];
    }

    public void clear() {
        java.util.Arrays.fill(caches, 0, size, null);
        size = 0;
        logitRows = 0;
    }

    /** Adds one token of the sequence owning {@code cache} at {@code position}. Returns its logits row or -1. */
    public int add(KvCache cache, int token, int position, boolean logits) {
        return add(cache, token, position, logits, false);
    }

    /**
     * As {@link #add(KvCache, int, int, boolean)}; {@code promptOrder} says the token belongs to a prompt of two
     * or more new tokens, which llama.cpp multiplies in its batched (tinyBLAS) order. The flag keeps a token's bits
     * the same whatever else shares its batch.
     */
    public int add(KvCache cache, int token, int position, boolean logits, boolean promptOrder) {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " tokens)");
        }
        if (position < 0 || position >= cache.capacity()) {
            throw new IllegalArgumentException("position " + position + " is outside the context of " + cache.capacity() + " tokens");
        }
        tokens[size] = token;
        positions[size] = position;
        caches[size] = cache;
        wantLogits[size] = logits;
        batchedOrder[size] = promptOrder;
        size++;
        return logits ? logitRows++ : -1;
    }

    /**
     * Adds a run of tokens of one sequence starting at the cache's current length; only the last one's logits
     * are requested. Returns the logits row of the last token.
     */
    public int addSequence(KvCache cache, int[] newTokens, int from, int to) {
        return addSequence(cache, newTokens, from, to, to - from >= 2);
    }

    /**
     * As {@link #addSequence(KvCache, int[], int, int)}, with the summation order given: a scheduler that prefills
     * a long prompt in chunks passes the same flag for every chunk, so a lone leftover token keeps the prompt's order.
     */
    public int addSequence(KvCache cache, int[] newTokens, int from, int to, boolean promptOrder) {
        int start = cache.length();
        int row = -1;
        for (int i = from; i < to; i++) {
            row = add(cache, newTokens[i], start + i - from, i == to - 1, promptOrder);
        }
        return row;
    }

    public int size() { return size; }

    public int token(int i) { return tokens[i]; }

    public int position(int i) { return positions[i]; }

    public KvCache cache(int i) { return caches[i]; }

    public boolean wantsLogits(int i) { return wantLogits[i]; }

    /** Whether token i goes through the batched (prompt) summation order. */
    public boolean promptOrder(int i) { return batchedOrder[i]; }

    public int capacity() { return capacity; }

    /** Number of tokens whose logits are requested: the rows of the logits output. */
    public int logitRows() { return logitRows; }
}
