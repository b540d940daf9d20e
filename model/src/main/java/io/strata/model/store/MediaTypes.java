package io.strata.model.store;

/**
 * Media types. The store's manifests use Ollama's (ollama {@code manifest/layer.go}, {@code server/create.go});
 * {@code oci://} pushes and pulls use the OCI image-spec types and the CNCF ModelPack artifact types
 * (modelpack/model-spec {@code specs-go/v1/mediatype.go}); Docker Model Runner's GGUF types are read on pull.
 * docs/TRANSPORTS.md lists which are written and which are read.
 */
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
    /** The prefix every Ollama layer type shares. */
    public static final String OLLAMA_LAYER_PREFIX = "application/vnd.ollama.image.";

    /** OCI image manifest: what {@code strata push} writes. */
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    /** OCI image index and Docker manifest list: several manifests; not pulled (no platform to choose for a model). */
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    /** The {@code artifactType} of a pushed model: a CNCF ModelPack model. */
    public static final String MODELPACK_ARTIFACT = "application/vnd.cncf.model.manifest.v1+json";
    /** The ModelPack config blob: {@code descriptor}, {@code config} (format, architecture, ...), {@code modelfs}. */
    public static final String MODELPACK_CONFIG = "application/vnd.cncf.model.config.v1+json";
    /** A ModelPack weight file stored as it is (the GGUF, uncompressed); its file name in {@link #ANNOTATION_FILEPATH}. */
    public static final String MODELPACK_WEIGHT_RAW = "application/vnd.cncf.model.weight.v1.raw";
    /** A ModelPack weight layer typed as GGUF (Docker Model Runner reads and writes this spelling). */
    public static final String MODELPACK_WEIGHT_GGUF = "application/vnd.cncf.model.weight.v1.gguf";
    /** Docker Model Runner's GGUF and license layers. */
    public static final String DOCKER_AI_GGUF = "application/vnd.docker.ai.gguf.v3";
    public static final String DOCKER_AI_LICENSE = "application/vnd.docker.ai.license";
    /** OCI tar layers: a container image (RamaLama's older {@code oci://} models), not a model artifact. */
    public static final String OCI_LAYER_TAR_PREFIX = "application/vnd.oci.image.layer.v1.tar";
    public static final String DOCKER_LAYER_TAR_PREFIX = "application/vnd.docker.image.rootfs.diff.tar";

    /** Layer annotation naming the file a ModelPack layer holds. */
    public static final String ANNOTATION_FILEPATH = "org.cncf.model.filepath";
    /** The generic OCI (ORAS) file-name annotation. */
    public static final String ANNOTATION_TITLE = "org.opencontainers.image.title";

    private MediaTypes() {
    }
}
