/**
 * Pulling models into the store and pushing them out, as Ramalama names the sources: {@code hf://}, {@code oci://},
 * {@code ollama://}, {@code https://} and {@code file://} ({@link io.strata.model.remote.ModelReference}).
 * {@link io.strata.model.remote.ModelPuller} fetches each blob with a
 * {@link io.strata.model.remote.BlobDownloader} (resumable, parallel byte ranges, sha256 checked before the blob
 * enters the store), then writes the manifest; {@link io.strata.model.remote.ModelPusher} uploads a stored model to an
 * OCI registry as a ModelPack artifact ({@link io.strata.model.remote.OciArtifact}); {@link
 * io.strata.model.remote.ModelResolver} is the one place a model reference becomes a GGUF path: the store, then
 * {@code STRATA_MODEL_PATH}, then a pull. docs/TRANSPORTS.md describes the references and media types.
 */
package io.strata.model.remote;
