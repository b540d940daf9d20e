package io.strata.coordinator.generation;

import java.util.List;

/**
 * Finds stop strings in streamed text that arrives in arbitrary pieces (tokens end mid-word and mid-stop-string).
 * Text is released only when no stop string can start inside it, so a stop string never leaks into the output,
 * streamed or not: {@link #push} returns what is safe to emit now and holds back any tail that could still grow
 * into a stop string.
 */
public final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Adds text; returns the text now safe to emit (before the stop string once one matched). */
    public String push(String text) {
        if (stopped) {
            return "";
        }
        held.append(text);
        int first = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        int keep = longestStopPrefixSuffix();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** True once a stop string matched: generation should end. */
    public boolean stopped() { return stopped; }

    /** At the end of generation: the held-back text, which turned out not to start a stop string. */
    public String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }

    /** The longest k such that the last k held chars are a proper prefix of some stop string. */
    private int longestStopPrefixSuffix() {
        String h = held.toString();
        int best = 0;
        for (String s : stops) {
            int max = Math.min(s.length() - 1, held.length());
            for (int k = max; k > best; k--) {
                if (h.regionMatches(h.length() - k, s, 0, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }
}
