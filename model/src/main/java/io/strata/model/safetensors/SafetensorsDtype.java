package io.strata.model.safetensors;

import io.strata.model.tensor.GgmlType;

import java.util.Arrays;
import java.util.Optional;

/**
 * The element types of the safetensors format (huggingface/safetensors {@code Dtype}), with their sizes. Only the
 * three float types the engine computes with map to a ggml type; the others are read (so a file that holds them
 * still parses and its offsets are checked) but a model cannot use them as weights.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
    F64(8), I64(8), U64(8);

    private final int bytes;

    SafetensorsDtype(final int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** The ggml type with the same bytes per element and layout, if the engine has one. */
    public Optional<GgmlType> ggmlType() {
        return switch (this) {
            case F32 -> Optional.of(GgmlType.F32);
            case F16 -> Optional.of(GgmlType.F16);
            case BF16 -> Optional.of(GgmlType.BF16);
            default -> Optional.empty();
        };
    }

    /** The dtype with this name as the header spells it, or empty. */
    public static Optional<SafetensorsDtype> byName(final String name) {
        return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
    }
}
