package io.strata.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * {@code tokenizer.ggml.model = llama}: llama.cpp's own SentencePiece-compatible algorithm (not sentencepiece's).
 * Spaces become U+2581, a space is prepended to each text fragment that starts the input or follows a special
 * token, then adjacent symbols are merged greedily by the score of the token they form; a final symbol that is not
 * a token falls back to one byte token per UTF-8 byte.
 */
public final class SpmTokenizer implements Tokenizer {
    private final Vocabulary vocab;

    SpmTokenizer(final Vocabulary vocab) {
        this.vocab = vocab;
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int[] encode(final String text, final boolean addSpecial, final boolean parseSpecial) {
        final IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial && vocab.addBos()) {
            out.add(vocab.requireBos());
        }
        boolean afterSpecial = true; // the first fragment gets the space prefix too
        for (Fragment fragment : SpecialTokenPartition.partition(vocab, text, parseSpecial)) {
            switch (fragment) {
                case Fragment.Text(String raw) -> {
                    final String prefixed = vocab.addSpacePrefix() && afterSpecial ? " " + raw : raw;
                    encodeEscaped(prefixed.replace(' ', '\u2581'), out);
                    afterSpecial = false;
                }
                case Fragment.Special(int id) -> {
                    out.add(id);
                    afterSpecial = true;
                }
            }
        }
        if (addSpecial && vocab.addEos()) {
            out.add(vocab.requireEos());
        }
        return out.toArray();
    }

    /** A candidate merge of symbols left and right into a token with this score; size detects stale entries. */
    private record Bigram(int left, int right, float score, int size) {
    }

    /** The merge loop over one fragment; symbols are code points, held as a linked list over char ranges. */
    private void encodeEscaped(final String s, final IntList out) {
        final int n = s.codePointCount(0, s.length());
        if (n == 0) {
            return;
        }
        final int[] start = new int[n];
        final int[] length = new int[n];
        final int[] prev = new int[n];
        final int[] next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            length[i] = Character.charCount(s.codePointAt(at));
            at += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // highest score first; equal scores: leftmost first
        final PriorityQueue<Bigram> queue = new PriorityQueue<>(2 * n,
                (a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            tryAddBigram(s, start, length, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            final Bigram b = queue.poll();
            final int l = b.left;
            final int r = b.right;
            if (length[l] == 0 || length[r] == 0 || length[l] + length[r] != b.size) {
                continue; // one side was merged away or has grown since this entry was queued
            }
            length[l] += length[r];
            length[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            tryAddBigram(s, start, length, prev[l], l, queue);
            tryAddBigram(s, start, length, l, next[l], queue);
        }
        for (int i = 0; i != -1; i = next[i]) {
            final String symbol = s.substring(start[i], start[i] + length[i]);
            final int id = vocab.id(symbol);
            if (id >= 0) {
                out.add(id);
            } else {
                // merges only ever form tokens, so this is an unmerged character missing from the vocabulary
                for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                    out.add(byteToken(b));
                }
            }
        }
    }

    private void tryAddBigram(final String s, final int[] start, final int[] length, final int left, final int right,
                              final PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) {
            return;
        }
        final int size = length[left] + length[right];
        final int id = vocab.id(s.substring(start[left], start[left] + size));
        if (id >= 0) {
            queue.add(new Bigram(left, right, vocab.score(id), size));
        }
    }

    private int byteToken(final byte b) {
        final int id = vocab.byteToken(b & 0xFF);
        if (id >= 0) {
            return id;
        }
        // llama.cpp throws (std::out_of_range) here; a vocabulary with an unknown token gets that instead
        if (vocab.specialIds().unk() != SpecialTokenIds.NONE) {
            return vocab.specialIds().unk();
        }
        throw new IllegalStateException(vocab + " has no byte token for 0x" + Integer.toHexString(b & 0xFF));
    }
}
