package io.strata.model.modelfile;

import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufMetadata;
import io.strata.model.gguf.GgufTensorInfo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The config blob Ollama writes for a GGUF model ({@code types/model/config.go}): format, family, size class and
 * file type read from the GGUF, plus the platform.
 */
public final class GgufConfig {
    /** llama.cpp's {@code llama_ftype} names by {@code general.file_type} id. */
    private static final String[] FILE_TYPES = {
            "F32", "F16", "Q4_0", "Q4_1", "Q4_1_SOME_F16", "Q4_2", "Q4_3", "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S",
            "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "IQ2_XXS", "IQ2_XS", "Q2_K_S",
            "IQ3_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M", "IQ4_XS", "IQ1_M", "BF16",
            "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0",
    };

    private GgufConfig() {
    }

    /** The config of this GGUF, as Ollama writes it. */
    public static Map<String, Object> of(final GgufFile f) {
        final GgufMetadata md = f.metadata();
        final String arch = md.getString("general.architecture", "unknown");
        final long params = f.tensors().values().stream().mapToLong(GgufTensorInfo::elementCount).sum();
        final Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_format", "gguf");
        c.put("model_family", arch);
        c.put("model_families", List.of(arch));
        c.put("model_type", humanNumber(params));
        c.put("file_type", md.contains("general.file_type") ? fileType(md.getLong("general.file_type"))
                : dominantType(f));
        c.put("architecture", goArch(System.getProperty("os.arch")));
        c.put("os", System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("mac") ? "darwin"
                : System.getProperty("os.name").toLowerCase(Locale.ROOT));
        return c;
    }

    /** Without {@code general.file_type}: the tensor type holding the most elements. */
    private static String dominantType(final GgufFile f) {
        final Map<String, Long> byType = new LinkedHashMap<>();
        f.tensors().values().forEach(t -> byType.merge(t.type().name(), t.elementCount(), Long::sum));
        return byType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("unknown");
    }

    static String fileType(final long id) {
        return id >= 0 && id < FILE_TYPES.length ? FILE_TYPES[(int) id] : "unknown (" + id + ")";
    }

    /** Ollama's {@code format.HumanNumber}: 8.0B, 1.24M, 260K. */
    static String humanNumber(final long n) {
        if (n >= 1_000_000_000L) {
            final double v = n / 1e9;
            return v == Math.floor(v) ? String.format(Locale.ROOT, "%.0fB", v) : String.format(Locale.ROOT, "%.1fB", v);
        }
        if (n >= 1_000_000L) {
            final double v = n / 1e6;
            return v == Math.floor(v) ? String.format(Locale.ROOT, "%.0fM", v) : String.format(Locale.ROOT, "%.2fM", v);
        }
        if (n >= 1_000L) {
            return String.format(Locale.ROOT, "%.0fK", n / 1e3);
        }
        return Long.toString(n);
    }

    private static String goArch(final String javaArch) {
        return switch (javaArch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> javaArch;
        };
    }
}
