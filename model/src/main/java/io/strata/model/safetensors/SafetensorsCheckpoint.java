package io.strata.model.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.ModelFormatException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The weights of a Hugging Face checkpoint: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} maps tensor names to, or (no index) every {@code *.safetensors} file of the
 * directory. Each file is mapped once; tensors are looked up by their HF name.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";
    private static final long MAX_INDEX_BYTES = 64L << 20;

    /** One tensor and the file that holds it. */
    public record Entry(SafetensorsFile file, SafetensorsTensor tensor) {
        public MemorySegment data() {
            return file.data(tensor);
        }
    }

    private final List<SafetensorsFile> files;
    private final Map<String, Entry> tensors;

    private SafetensorsCheckpoint(final List<SafetensorsFile> files, final Map<String, Entry> tensors) {
        this.files = files;
        this.tensors = tensors;
    }

    /** Whether the directory holds safetensors weights at all. */
    public static boolean present(final Path dir) {
        return Files.exists(dir.resolve(INDEX)) || !safetensorsFiles(dir).isEmpty();
    }

    public static SafetensorsCheckpoint open(final Path dir) {
        final List<SafetensorsFile> opened = new ArrayList<>();
        try {
            final Map<String, Entry> tensors = new LinkedHashMap<>();
            final Path index = dir.resolve(INDEX);
            if (Files.exists(index)) {
                final Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : weightMap(dir, index).entrySet()) {
                    SafetensorsFile f = byName.get(e.getValue());
                    if (f == null) {
                        f = SafetensorsFile.open(dir.resolve(e.getValue()));
                        opened.add(f);
                        byName.put(e.getValue(), f);
                    }
                    final SafetensorsTensor t = f.tensor(e.getKey());
                    if (t == null) {
                        throw new ModelFormatException(index, "weight_map '" + SafetensorsFile.shown(e.getKey()) + "'",
                                ModelFormatException.NO_OFFSET, "names " + e.getValue() + ", which does not hold that tensor");
                    }
                    tensors.put(e.getKey(), new Entry(f, t));
                }
            } else {
                final List<Path> all = safetensorsFiles(dir);
                if (all.isEmpty()) {
                    throw new ModelFormatException(dir, "directory", ModelFormatException.NO_OFFSET,
                            "holds no " + SINGLE + ", " + INDEX + " or other *.safetensors file");
                }
                for (Path p : all) {
                    final SafetensorsFile f = SafetensorsFile.open(p);
                    opened.add(f);
                    for (SafetensorsTensor t : f.tensors().values()) {
                        final Entry previous = tensors.putIfAbsent(t.name(), new Entry(f, t));
                        if (previous != null) {
                            throw new ModelFormatException(p, "tensor '" + SafetensorsFile.shown(t.name()) + "'",
                                    ModelFormatException.NO_OFFSET, "is also in " + previous.file().name()
                                    + " (several *.safetensors files without " + INDEX + ")");
                        }
                    }
                }
            }
            return new SafetensorsCheckpoint(List.copyOf(opened), Collections.unmodifiableMap(tensors));
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** The index's weight_map; every file it names must be a plain file name inside the directory. */
    private static Map<String, String> weightMap(final Path dir, final Path index) {
        final JsonNode root;
        try {
            if (Files.size(index) > MAX_INDEX_BYTES) {
                throw new ModelFormatException(index, "file", ModelFormatException.NO_OFFSET, "is larger than "
                        + MAX_INDEX_BYTES + " bytes: not a checkpoint index");
            }
            root = new ObjectMapper().readTree(index.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelFormatException(index, "JSON", e.getLocation() == null ? ModelFormatException.NO_OFFSET
                    : e.getLocation().getByteOffset(), "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelFormatException(index, "file", ModelFormatException.NO_OFFSET, "cannot read: " + e.getMessage());
        }
        final JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelFormatException(index, "weight_map", ModelFormatException.NO_OFFSET, "required object is missing");
        }
        final Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> e = it.next();
            final String file = e.getValue().isTextual() ? e.getValue().textValue() : null;
            if (file == null || file.isEmpty() || file.contains("/") || file.contains("\\") || file.equals("..")
                    || !dir.resolve(file).normalize().getParent().equals(dir.normalize())) {
                throw new ModelFormatException(index, "weight_map '" + SafetensorsFile.shown(e.getKey()) + "'",
                        ModelFormatException.NO_OFFSET, "must name a file in the model directory, found "
                        + (file == null ? e.getValue().toString() : "'" + SafetensorsFile.shown(file) + "'"));
            }
            out.put(e.getKey(), file);
        }
        return out;
    }

    private static List<Path> safetensorsFiles(final Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new ModelFormatException(dir, "directory", ModelFormatException.NO_OFFSET, "cannot list: " + e.getMessage());
        }
    }

    /** Tensors by HF name, in index (or file) order. */
    public Map<String, Entry> tensors() {
        return tensors;
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    public long fileSize() {
        return files.stream().mapToLong(SafetensorsFile::fileSize).sum();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
