package io.strata.model.store;

/** The media types of Ollama's manifests and layers (ollama {@code manifest/layer.go}, {@code server/create.go}). */
public final class MediaTypes {
    public static final String MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String MODEL = "application/vnd.ollama.image.model";
    public static final String ADAPTER = "application/vnd.ollama.image.adapter";
    public static final String PROJECTOR = "application/vnd.ollama.image.projector";
    public static final String TEMPLATE = "application/vnd.ollama.image.template";
    public static final String SYSTEM = "application/vnd.ollama.image.system";
    public static final String PARAMS = "application/vnd.ollama.image.params";
    public static final String MESSAGES = "application/vnd.ollama.image.messages";
    public static final String LICENSE = "application/vnd.ollama.image.license";

    private MediaTypes() {
    }
}
