package io.strata.model.arch;

import java.util.Arrays;

/** The model architectures the engine runs, by their GGUF {@code general.architecture} name. */
public enum Architecture {
    /** Llama 2/3/3.1, Mistral, TinyLlama, stories: interleaved (NORM) RoPE on converter-permuted q/k rows. */
    LLAMA("llama", RopeType.NORM, false),
    /** Qwen2: q/k/v biases, NEOX (rotate-half) RoPE. */
    QWEN2("qwen2", RopeType.NEOX, false),
    /** Qwen3: per-head RMS norms on q and k before RoPE, NEOX RoPE, no biases. */
    QWEN3("qwen3", RopeType.NEOX, true);

    private final String ggufName;
    private final RopeType ropeType;
    private final boolean qkNorm;

    Architecture(String ggufName, RopeType ropeType, boolean qkNorm) {
        this.ggufName = ggufName;
        this.ropeType = ropeType;
        this.qkNorm = qkNorm;
    }

    public String ggufName() { return ggufName; }

    public RopeType ropeType() { return ropeType; }

    public boolean hasQkNorm() { return qkNorm; }

    /** The architecture with this GGUF name, or null when Strata does not run it. */
    public static Architecture byGgufName(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        return null;
    }

    public static String supportedNames() {
        return Arrays.stream(values()).map(Architecture::ggufName).toList().toString();
    }

    /** Which pairs of a head's dimensions RoPE rotates together. */
    public enum RopeType {
        /** Pairs (2i, 2i+1): ggml mode 0. */
        NORM,
        /** Pairs (i, i + n_rot/2): ggml mode 2. */
        NEOX
    }
}
