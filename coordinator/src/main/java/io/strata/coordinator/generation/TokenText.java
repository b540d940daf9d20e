package io.strata.coordinator.generation;

import io.strata.model.tokenizer.Tokenizer;
import io.strata.model.tokenizer.Utf8StreamDecoder;

/**
 * One choice's generated tokens turned into text as they arrive: each token's bytes go through a streaming UTF-8
 * decoder (a token may end inside a character) and then through the {@link StopMatcher}. Control tokens render as
 * nothing, as vLLM's {@code skip_special_tokens} does by default.
 */
public final class TokenText {
    private final Tokenizer tokenizer;
    private final Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
    private final StopMatcher stops;
    private final StringBuilder emitted = new StringBuilder();

    public TokenText(Tokenizer tokenizer, StopMatcher stops) {
        this.tokenizer = tokenizer;
        this.stops = stops;
    }

    /** The text this token releases (possibly empty: partial UTF-8, or a possible stop string held back). */
    public String push(int token) {
        return record(stops.push(utf8.feed(tokenizer.piece(token, false))));
    }

    /** The rest at the end of generation. */
    public String finish() {
        String rest = stops.stopped() ? "" : stops.push(utf8.flush());
        return record(rest + stops.flush());
    }

    public boolean stopped() { return stops.stopped(); }

    /** All text released so far. */
    public String text() { return emitted.toString(); }

    private String record(String s) {
        emitted.append(s);
        return s;
    }
}
