package io.strata.model.modelfile;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The PARAMETERs a Modelfile may set: Ollama's option names and types (protocols.md 2.4 and 3.2) that Strata's
 * sampler and server apply. Each parses its value from the Modelfile text and checks its range.
 */
public enum Parameter {
    TEMPERATURE("temperature", Kind.FLOAT, 0, Double.MAX_VALUE),
    TOP_K("top_k", Kind.INT, 0, Integer.MAX_VALUE),
    TOP_P("top_p", Kind.FLOAT, 0, 1),
    MIN_P("min_p", Kind.FLOAT, 0, 1),
    NUM_CTX("num_ctx", Kind.INT, 1, Integer.MAX_VALUE),
    NUM_PREDICT("num_predict", Kind.INT, -2, Integer.MAX_VALUE),
    STOP("stop", Kind.STRINGS, 0, 0),
    SEED("seed", Kind.INT, Long.MIN_VALUE, Long.MAX_VALUE),
    REPEAT_PENALTY("repeat_penalty", Kind.FLOAT, 0, Double.MAX_VALUE),
    REPEAT_LAST_N("repeat_last_n", Kind.INT, -1, Integer.MAX_VALUE),
    PRESENCE_PENALTY("presence_penalty", Kind.FLOAT, -Double.MAX_VALUE, Double.MAX_VALUE),
    FREQUENCY_PENALTY("frequency_penalty", Kind.FLOAT, -Double.MAX_VALUE, Double.MAX_VALUE);

    /** How a value is typed: a 64-bit integer, a double, or a repeatable string. */
    public enum Kind { INT, FLOAT, STRINGS }

    /** Ollama options Strata does not apply; named separately so the error can say so. */
    static final java.util.Set<String> OLLAMA_ONLY = java.util.Set.of("num_keep", "typical_p", "num_batch", "num_gpu",
            "main_gpu", "use_mmap", "num_thread", "draft_num_predict", "mirostat", "mirostat_tau", "mirostat_eta",
            "penalize_newline", "low_vram", "f16_kv", "logits_all", "vocab_only", "use_mlock", "numa", "tfs_z", "num_gqa");

    private final String ollamaName;
    private final Kind kind;
    private final double min;
    private final double max;

    Parameter(final String ollamaName, final Kind kind, final double min, final double max) {
        this.ollamaName = ollamaName;
        this.kind = kind;
        this.min = min;
        this.max = max;
    }

    public String ollamaName() { return ollamaName; }

    public Kind kind() { return kind; }

    public static Optional<Parameter> byName(final String name) {
        final String n = name.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(p -> p.ollamaName.equals(n)).findFirst();
    }

    /** The supported names, for error messages. */
    public static String names() {
        return String.join(", ", Arrays.stream(values()).map(Parameter::ollamaName).toList());
    }

    /**
     * The typed value of {@code text}: a {@link Long}, a {@link Double} or (for {@link Kind#STRINGS}) the text itself.
     *
     * @throws IllegalArgumentException naming the parameter, the text and what was expected
     */
    public Object parse(final String text) {
        switch (kind) {
            case STRINGS -> {
                return text;
            }
            case INT -> {
                final long v;
                try {
                    v = Long.parseLong(text.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(ollamaName + " takes an integer, got '" + text + "'");
                }
                check(v);
                return v;
            }
            default -> {
                final double v;
                try {
                    v = Double.parseDouble(text.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(ollamaName + " takes a number, got '" + text + "'");
                }
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException(ollamaName + " must be finite, got '" + text + "'");
                }
                check(v);
                return v;
            }
        }
    }

    private void check(final double v) {
        if (v < min || v > max) {
            final String range = max == Double.MAX_VALUE || max == Integer.MAX_VALUE ? "at least " + fmt(min)
                    : "between " + fmt(min) + " and " + fmt(max);
            throw new IllegalArgumentException(ollamaName + " must be " + range + ", got " + fmt(v));
        }
    }

    private static String fmt(final double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
