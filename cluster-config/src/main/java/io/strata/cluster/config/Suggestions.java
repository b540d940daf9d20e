package io.strata.cluster.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/** "Did you mean ...?": the known word closest to a misspelt one, by edit distance. */
final class Suggestions {
    /** Words longer than this get no suggestion (no known key is that long; the distance costs length squared). */
    static final int MAX_WORD_CHARS = 64;

    private Suggestions() {}

    /** The closest candidate within an edit distance of a third of the word's length (at least 2), if any. */
    static Optional<String> closest(final String word, final Collection<String> candidates) {
        if (word.length() > MAX_WORD_CHARS) {
            return Optional.empty();
        }
        final int limit = Math.max(2, word.length() / 3);
        return candidates.stream()
                .filter(c -> editDistance(word, c) <= limit)
                .min(Comparator.comparingInt((String c) -> editDistance(word, c)).thenComparing(c -> c));
    }

    /** Levenshtein distance, with a swap of two neighbours counted as one edit. */
    static int editDistance(final String a, final String b) {
        final int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int best = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    best = Math.min(best, d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        return d[a.length()][b.length()];
    }
}
