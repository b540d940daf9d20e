package io.strata.model.tokenizer;

/**
 * Token attribute bits, as llama.cpp's {@code llama_token_attr}. A token normally has exactly one of the type bits
 * (from {@code tokenizer.ggml.token_type}); loading may add CONTROL (end-of-generation texts) and the strip bits.
 */
public final class TokenAttributes {
    public static final int UNDEFINED = 0;
    public static final int UNKNOWN = 1;
    public static final int UNUSED = 1 << 1;
    public static final int NORMAL = 1 << 2;
    public static final int CONTROL = 1 << 3;
    public static final int USER_DEFINED = 1 << 4;
    public static final int BYTE = 1 << 5;
    public static final int NORMALIZED = 1 << 6;
    /** Whitespace before a matched special token is removed from the text fragment to its left. */
    public static final int LSTRIP = 1 << 7;
    /** Whitespace after a matched special token is removed from the text fragment to its right. */
    public static final int RSTRIP = 1 << 8;
    public static final int SINGLE_WORD = 1 << 9;

    private TokenAttributes() {
    }

    /**
     * The attribute of a GGUF {@code token_type}: 0 UNDEFINED, 1 NORMAL, 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED,
     * 5 UNUSED, 6 BYTE; any other value is UNDEFINED.
     */
    public static int fromTokenType(final int tokenType) {
        return switch (tokenType) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> UNDEFINED;
        };
    }
}
