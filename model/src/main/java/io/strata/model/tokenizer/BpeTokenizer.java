package io.strata.model.tokenizer;

import io.strata.model.gguf.GgufMetadata;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * {@code tokenizer.ggml.model = gpt2}: byte-level BPE. Each text fragment is split into words by the pre-tokenizer
 * named in {@code tokenizer.ggml.pre}, each word's UTF-8 bytes are written in GPT-2's byte alphabet, and adjacent
 * symbols are merged by merge rank (lowest first) until no listed merge applies.
 */
public final class BpeTokenizer implements Tokenizer {
    private static final String KEY_MERGES = "tokenizer.ggml.merges";

    private final Vocabulary vocab;
    private final PreTokenizer preTokenizer;
    /** "left right" → rank (the merge's index; the first of duplicate merges wins). */
    private final Map<String, Integer> mergeRanks;

    BpeTokenizer(final Vocabulary vocab, final String[] merges) {
        this.vocab = vocab;
        this.preTokenizer = vocab.preTokenizer();
        this.mergeRanks = new HashMap<>(merges.length * 4 / 3 + 16);
        for (int rank = 0; rank < merges.length; rank++) {
            // llama.cpp splits at the first space at index >= 1; a merge without one is stored as ("", "")
            final String merge = merges[rank];
            mergeRanks.putIfAbsent(merge.indexOf(' ', 1) < 0 ? " " : merge, rank);
        }
    }

    static String[] readMerges(final GgufMetadata md) {
        final String[] merges = md.getStringArray(KEY_MERGES);
        if (merges == null) {
            throw md.error(KEY_MERGES, "cannot find the tokenizer merges");
        }
        return merges;
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
        for (Fragment fragment : SpecialTokenPartition.partition(vocab, text, parseSpecial)) {
            switch (fragment) {
                case Fragment.Text(String raw) -> {
                    for (String word : RegexSplitter.split(raw, preTokenizer.rules())) {
                        encodeWord(ByteLevel.encode(word), out);
                    }
                }
                case Fragment.Special(int id) -> out.add(id);
            }
        }
        if (addSpecial && vocab.addEos()) {
            out.add(vocab.requireEos());
        }
        return out.toArray();
    }

    /** A candidate merge of symbols left and right; size detects entries made stale by later merges. */
    private record Bigram(int left, int right, int rank, int size) {
    }

    /** BPE over one byte-level encoded word; every alphabet character is one char, so symbols are char ranges. */
    private void encodeWord(final String word, final IntList out) {
        final int n = word.length();
        if (n == 0) {
            return;
        }
        if (preTokenizer.ignoreMerges()) {
            final int id = vocab.id(word);
            if (id >= 0) {
                out.add(id);
                return;
            }
        }
        final int[] length = new int[n];
        final int[] prev = new int[n];
        final int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            length[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // lowest rank first; equal ranks: leftmost first
        final PriorityQueue<Bigram> queue = new PriorityQueue<>(2 * n,
                (a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            addBigram(word, length, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            final Bigram b = queue.poll();
            final int l = b.left;
            final int r = b.right;
            // symbol l never moves, so "same text as when queued" is "same total length"
            if (length[l] == 0 || length[r] == 0 || length[l] + length[r] != b.size) {
                continue;
            }
            length[l] += length[r];
            length[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            addBigram(word, length, prev[l], l, queue);
            addBigram(word, length, l, next[l], queue);
        }
        for (int i = 0; i != -1; i = next[i]) {
            final String symbol = word.substring(i, i + length[i]);
            final int id = vocab.id(symbol);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            // llama.cpp then looks up each UTF-8 byte of the symbol as a one-byte token and drops the misses;
            // only ASCII characters can match, since a lone byte >= 0x80 is never a token text
            for (int k = 0; k < symbol.length(); k++) {
                final char c = symbol.charAt(k);
                final int byteId = c < 0x80 ? vocab.id(String.valueOf(c)) : -1;
                if (byteId >= 0) {
                    out.add(byteId);
                }
            }
        }
    }

    private void addBigram(final String word, final int[] length, final int left, final int right,
                           final PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) {
            return;
        }
        final String key = word.substring(left, left + length[left]) + ' '
                + word.substring(right, right + length[right]);
        final Integer rank = mergeRanks.get(key);
        if (rank != null) {
            queue.add(new Bigram(left, right, rank, length[left] + length[right]));
        }
    }
}
