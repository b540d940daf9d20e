package io.strata.coordinator;

import io.strata.model.ModelSource;
import io.strata.model.gguf.GgufMetadata;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.gotemplate.OllamaTemplate;
import io.strata.model.modelfile.ModelDefaults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the API reports about a model without running it (Ollama's show, tags and ps; OpenAI's model object): read
 * from an open model source, so that a model can be described whether it is loaded or not.
 *
 * @param metadata       the GGUF metadata; its arrays may still be read from the mapping, so use it only while the
 *                       source it came from is open
 * @param architecture   {@code general.architecture}
 * @param sizeBytes      the GGUF's bytes (also where it is one entry of a packaged jar)
 * @param digest         the stored model's manifest digest, else a stable id of the file (path, size, time)
 * @param templateSource the prompt template as Ollama's show reports it: the Modelfile TEMPLATE, else the GGUF's
 *                       Jinja template, else Ollama's default
 * @param contextSize    the context a request gets: the server's slot size for this model
 */
public record ModelFacts(String name, Path path, GgufMetadata metadata, String architecture, long sizeBytes,
                         long modifiedEpochSeconds, long parameterCount, String dominantType, String digest,
                         ModelDefaults defaults, String templateSource, int contextSize) {

    /**
     * @param digest the manifest digest of a stored model, or null to derive one from the file
     */
    public static ModelFacts of(String name, Path path, ModelSource source, ModelDefaults defaults, int contextSize,
                                String digest) {
        long modified;
        try {
            modified = Files.getLastModifiedTime(path).toInstant().getEpochSecond();
        } catch (IOException e) {
            modified = 0;
        }
        long size = source.fileSize();
        long params = 0;
        Map<String, Long> elementsByType = new TreeMap<>();
        for (GgufTensorInfo t : source.tensors().values()) {
            params += t.elementCount();
            elementsByType.merge(t.type().name(), t.elementCount(), Long::sum);
        }
        String dominant = elementsByType.entrySet().stream().max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey).orElse("unknown");
        GgufMetadata md = source.metadata();
        String jinja = md.getString("tokenizer.chat_template", null);
        String template = defaults.template().orElse(jinja == null ? OllamaTemplate.DEFAULT : jinja);
        return new ModelFacts(name, path, md, md.getString("general.architecture", "unknown"), size, modified, params,
                dominant, digest != null ? digest : fileDigest(path, size, modified), defaults, template, contextSize);
    }

    /** A stable id for a model file (path, size, time): not a content hash, which would mean reading it all. */
    static String fileDigest(Path path, long size, long modified) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((path.toAbsolutePath() + "\n" + size + "\n" + modified).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
