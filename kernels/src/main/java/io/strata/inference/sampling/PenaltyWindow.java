package io.strata.inference.sampling;

import java.util.Arrays;

/**
 * The last {@code lastN} accepted tokens with their counts, and the penalties llama.cpp derives from them
 * (formats.md 6.2). A ring buffer plus a dense count per token id: accepting and penalizing allocate nothing.
 */
public final class PenaltyWindow {
    private final int[] ring;            // the window, oldest at head once full
    private final int[] counts;          // occurrences in the window, by token id
    private final boolean[] penalized;   // scratch for apply(): each distinct token is penalized once
    private final float repeat;
    private final float frequency;
    private final float presence;
    private int head;
    private int size;

    /**
     * @param lastN          window length; 0 = never remember anything
     * @param vocabularySize token ids accepted are in [0, vocabularySize)
     */
    public PenaltyWindow(final int lastN, final int vocabularySize, final float repeat, final float frequency,
                         final float presence) {
        if (lastN < 0) {
            throw new IllegalArgumentException("lastN must be >= 0, got " + lastN);
        }
        if (vocabularySize <= 0) {
            throw new IllegalArgumentException("vocabularySize must be > 0, got " + vocabularySize);
        }
        this.ring = new int[lastN];
        this.counts = new int[vocabularySize];
        this.penalized = new boolean[vocabularySize];
        this.repeat = repeat;
        this.frequency = frequency;
        this.presence = presence;
    }

    /** Adds a token (prompt or generated); once full, the oldest one leaves the window. */
    public void accept(final int token) {
        if (token < 0 || token >= counts.length) {
            throw new IllegalArgumentException("token " + token + " outside the vocabulary [0, " + counts.length + ")");
        }
        if (ring.length == 0) {
            return;
        }
        counts[token]++;
        if (size == ring.length) {
            counts[ring[head]]--;
            ring[head] = token;
            head = (head + 1) % ring.length;
        } else {
            ring[(head + size) % ring.length] = token;
            size++;
        }
    }

    /** How often {@code token} occurs in the window. */
    public int count(final int token) {
        return counts[token];
    }

    /** Number of tokens in the window (at most lastN). */
    public int size() {
        return size;
    }

    public void clear() {
        for (int i = 0; i < size; i++) {
            counts[ring[(head + i) % ring.length]] = 0;
        }
        head = 0;
        size = 0;
    }

    /**
     * Penalizes {@code logits[0..n)} in place, once per distinct token of the window with count c:
     * {@code l = l <= 0 ? l * repeat : l / repeat; l -= c * frequency + presence} (all in float, as llama.cpp).
     */
    public void apply(final float[] logits, final int n) {
        if (size == 0 || (repeat == 1f && frequency == 0f && presence == 0f)) {
            return;
        }
        for (int i = 0; i < size; i++) {
            final int token = ring[(head + i) % ring.length];
            if (token >= n || penalized[token]) {
                continue;
            }
            penalized[token] = true;
            final int count = counts[token];
            float logit = logits[token];
            logit = logit <= 0 ? logit * repeat : logit / repeat;
            logits[token] = logit - (count * frequency + presence);
        }
        for (int i = 0; i < size; i++) {
            penalized[ring[(head + i) % ring.length]] = false;
        }
    }

    @Override
    public String toString() {
        final int[] tokens = new int[size];
        for (int i = 0; i < size; i++) {
            tokens[i] = ring[(head + i) % ring.length];
        }
        return "PenaltyWindow" + Arrays.toString(tokens);
    }
}
