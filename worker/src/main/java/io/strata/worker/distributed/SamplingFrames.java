package io.strata.worker.distributed;

import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.inference.sampling.TokenLogprobs;
import io.strata.worker.engine.TokenChoice;

/**
 * Sampling on the last stage, as ints on the wire. Each step the head sends the last stage's rank 0 the sequences
 * that start sampling ({@code [count, then per start: slot, the ten sampling parameters (floats as bits, the seed
 * as two ints), prompt length, prompt tokens]}); the last stage answers with one fixed-size row per token that
 * wanted logits: {@code [token, logprob bits, n, then n pairs of (token, logprob bits)]}, {@link #ROW_INTS} ints.
 */
final class SamplingFrames {
    static final int START_FIXED = 13;
    static final int ROW_INTS = 3 + 2 * SamplingParams.MAX_LOGPROBS;

    private SamplingFrames() {
    }

    /** Ints a SAMPLING frame may need when every slot starts with a prompt of {@code context} tokens. */
    static int capacity(int slots, int context) {
        return 1 + slots * (START_FIXED + context);
    }

    /** Appends one start at {@code out[at..]}; returns the new end. {@code out[0]} counts the starts. */
    static int appendStart(int[] out, int at, int slot, SamplingParams p, int[] prompt) {
        int need = START_FIXED + prompt.length;
        if (at + need > out.length) {
            throw new IllegalStateException("too many sequences start in one step for the sampling frame");
        }
        out[at] = slot;
        out[at + 1] = Float.floatToRawIntBits(p.temperature());
        out[at + 2] = p.topK();
        out[at + 3] = Float.floatToRawIntBits(p.topP());
        out[at + 4] = Float.floatToRawIntBits(p.minP());
        out[at + 5] = Float.floatToRawIntBits(p.repeatPenalty());
        out[at + 6] = Float.floatToRawIntBits(p.frequencyPenalty());
        out[at + 7] = Float.floatToRawIntBits(p.presencePenalty());
        out[at + 8] = p.penaltyLastN();
        out[at + 9] = (int) p.seed();
        out[at + 10] = (int) (p.seed() >>> 32);
        out[at + 11] = p.logprobs();
        out[at + 12] = prompt.length;
        System.arraycopy(prompt, 0, out, at + START_FIXED, prompt.length);
        out[0]++;
        return at + need;
    }

    /**
     * Applies a received SAMPLING frame of {@code length} ints: a new sampler per start, its penalty window filled
     * with the prompt. Allocates only for the sequences that start.
     *
     * @throws IllegalArgumentException when the frame does not parse
     */
    static void applyStarts(int[] in, int length, Sampler[] samplers, int vocab, int context) {
        int count = length > 0 ? in[0] : -1;
        int at = 1;
        for (int i = 0; i < count; i++) {
            if (at + START_FIXED > length) {
                throw new IllegalArgumentException("sampling frame: start " + i + " runs past the frame");
            }
            int slot = in[at];
            int n = in[at + 12];
            if (slot < 0 || slot >= samplers.length || n < 0 || at + START_FIXED + n > length) {
                throw new IllegalArgumentException("sampling frame: start " + i + " has slot " + slot + " and "
                        + n + " prompt tokens");
            }
            SamplingParams p = new SamplingParams(Float.intBitsToFloat(in[at + 1]), in[at + 2],
                    Float.intBitsToFloat(in[at + 3]), Float.intBitsToFloat(in[at + 4]), Float.intBitsToFloat(in[at + 5]),
                    Float.intBitsToFloat(in[at + 6]), Float.intBitsToFloat(in[at + 7]), in[at + 8],
                    (in[at + 9] & 0xFFFFFFFFL) | ((long) in[at + 10] << 32), in[at + 11]);
            Sampler s = new Sampler(p, vocab, context);
            for (int j = 0; j < n; j++) {
                s.accept(in[at + START_FIXED + j]);
            }
            samplers[slot] = s;
            at += START_FIXED + n;
        }
        if (count < 0 || at != length) {
            throw new IllegalArgumentException("sampling frame of " + length + " ints does not hold " + count + " starts");
        }
    }

    /** Samples logits row {@code row} with {@code s} and writes the result row. */
    static void sampleRow(Sampler s, float[] logits, int row, int vocab, int[] out) {
        int token = s.sample(logits, row * vocab, vocab);
        s.accept(token);
        int o = row * ROW_INTS;
        out[o] = token;
        if (s.params().logprobs() == 0) {
            out[o + 1] = 0;
            out[o + 2] = 0;
            return;
        }
        TokenLogprobs lp = s.logprobs();
        int n = lp.topCount();
        out[o + 1] = Float.floatToRawIntBits(lp.logprob());
        out[o + 2] = n;
        for (int i = 0; i < n; i++) {
            out[o + 3 + 2 * i] = lp.topToken(i);
            out[o + 4 + 2 * i] = Float.floatToRawIntBits(lp.topLogprob(i));
        }
    }

    static int token(int[] rows, int row) {
        return rows[row * ROW_INTS];
    }

    static TokenChoice choice(int[] rows, int row) {
        int o = row * ROW_INTS;
        int n = rows[o + 2];
        int[] ids = new int[n];
        float[] lps = new float[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rows[o + 3 + 2 * i];
            lps[i] = Float.intBitsToFloat(rows[o + 4 + 2 * i]);
        }
        return new TokenChoice(rows[o], Float.intBitsToFloat(rows[o + 1]), ids, lps);
    }
}
