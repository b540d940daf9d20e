package io.strata.coordinator.models;

import io.strata.coordinator.ModelFacts;

import java.time.Instant;

/**
 * A model as a listing shows it (Ollama's {@code /api/tags}, OpenAI's {@code /v1/models}).
 *
 * @param name          Ollama's spelling, with its tag ({@code tuned:latest})
 * @param parameterSize Ollama's {@code parameter_size} ({@code 260K}, {@code 1.2B})
 * @param quantization  Ollama's {@code quantization_level} ({@code Q4_K_M}, {@code F16})
 * @param contextLength the context requests get, or 0 when the model is not loaded (not known before)
 */
public record ListedModel(String name, Instant modified, long size, String digest, String family, String parameterSize,
                          String quantization, int contextLength) {

    /** A model described by its facts (a loaded one, or the one a server serves). */
    public static ListedModel of(ModelFacts f) {
        return new ListedModel(withTag(f.name()), Instant.ofEpochSecond(f.modifiedEpochSeconds()), f.sizeBytes(),
                f.digest(), f.architecture(), parameterSize(f.parameterCount()), f.dominantType(), f.contextSize());
    }

    /** The name without Ollama's default tag, as OpenAI ids are written. */
    public String id() {
        return name.endsWith(":latest") ? name.substring(0, name.length() - 7) : name;
    }

    /** A name with {@code :latest} added when its last part has no tag. */
    static String withTag(String name) {
        String last = name.substring(name.lastIndexOf('/') + 1);
        return last.contains(":") ? name : name + ":latest";
    }

    /** Elements as Ollama's show prints them: 292.4K, 15.2M, 1.2B. */
    public static String parameterSize(long params) {
        if (params >= 1_000_000_000L) {
            return String.format(java.util.Locale.ROOT, "%.1fB", params / 1e9);
        }
        if (params >= 1_000_000L) {
            return String.format(java.util.Locale.ROOT, "%.1fM", params / 1e6);
        }
        return String.format(java.util.Locale.ROOT, "%.1fK", params / 1e3);
    }
}
