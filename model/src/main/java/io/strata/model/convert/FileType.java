package io.strata.model.convert;

import io.strata.model.tensor.GgmlType;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@code strata convert --type} and {@code strata quantize} write, named as llama-quantize names it, with
 * llama.cpp's {@code llama_ftype} id (stored as {@code general.file_type}) and the ggml type most weights get.
 */
public enum FileType {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    BF16(32, GgmlType.BF16),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q8_0(7, GgmlType.Q8_0),
    Q2_K(10, GgmlType.Q2_K),
    Q3_K_S(11, GgmlType.Q3_K),
    Q3_K_M(12, GgmlType.Q3_K),
    Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K),
    IQ4_NL(25, GgmlType.IQ4_NL);

    private final int id;
    private final GgmlType baseType;

    FileType(final int id, final GgmlType baseType) {
        this.id = id;
        this.baseType = baseType;
    }

    /** {@code general.file_type}. */
    public int id() {
        return id;
    }

    /** The type of the weights no rule moves elsewhere. */
    public GgmlType baseType() {
        return baseType;
    }

    /** Whether llama-quantize picks per-tensor types for it (only for quantized types; floats apply to every weight). */
    public boolean quantized() {
        return this != F32 && this != F16 && this != BF16;
    }

    /**
     * The type named (any case; llama-quantize's aliases Q3_K, Q4_K, Q5_K are the _M mixes).
     *
     * @throws IllegalArgumentException listing the names accepted
     */
    public static FileType parse(final String name) {
        final String n = name.toUpperCase(Locale.ROOT);
        final String canonical = switch (n) {
            case "Q3_K" -> "Q3_K_M";
            case "Q4_K" -> "Q4_K_M";
            case "Q5_K" -> "Q5_K_M";
            default -> n;
        };
        return Arrays.stream(values()).filter(t -> t.name().equals(canonical)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown type '" + name + "' (supported: "
                        + Arrays.stream(values()).map(Enum::name).toList() + ")"));
    }

    /** The file type with this {@code general.file_type} id, if it is one of these. */
    public static Optional<FileType> byId(final long id) {
        return Arrays.stream(values()).filter(t -> t.id == id).findFirst();
    }
}
