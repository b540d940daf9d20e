package io.strata.cluster.config;

import java.util.Arrays;
import java.util.List;

/** The compute backend a worker runs its layers on, as the config names it ({@code backend: cpu}). */
public enum Backend {
    CPU("cpu"),
    CUDA("cuda"),
    ROCM("rocm");

    private final String configName;

    Backend(final String configName) {
        this.configName = configName;
    }

    public String configName() { return configName; }

    /** The backend with this config name, or null when there is none. */
    public static Backend byConfigName(final String name) {
        for (final Backend b : values()) {
            if (b.configName.equals(name)) {
                return b;
            }
        }
        return null;
    }

    public static List<String> configNames() {
        return Arrays.stream(values()).map(Backend::configName).toList();
    }
}
