package io.strata.model.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The byte ranges of one download and how far each has come, kept next to the partial file as JSON so that the next
 * pull resumes where this one stopped. Each range is written front to back by one reader, so its progress is one
 * number; {@code done} counts only bytes already written to the file.
 */
final class DownloadPlan {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One range, {@code start} to {@code end} inclusive ({@code end} -1: to the end of a body of unknown length). */
    static final class Part {
        final long start;
        volatile long end;
        volatile long done;
        // the stall watchdog's view of the reader (guarded by this)
        Thread reader;
        long lastProgressNanos;
        boolean stalled;

        Part(final long start, final long end, final long done) {
            this.start = start;
            this.end = end;
            this.done = done;
        }

        long next() {
            return start + done;
        }

        boolean complete() {
            return end >= 0 && next() > end;
        }
    }

    final String source;
    volatile long size;
    volatile String validator;
    volatile List<Part> parts;

    private DownloadPlan(final String source, final long size, final String validator, final List<Part> parts) {
        this.source = source;
        this.size = size;
        this.validator = validator;
        this.parts = List.copyOf(parts);
    }

    /** A new plan: {@code n} equal ranges when the size is known and n &gt; 1, else one. */
    static DownloadPlan fresh(final String source, final long size, final int n) {
        if (size == 0) {
            return new DownloadPlan(source, 0, null, List.of()); // nothing to fetch
        }
        if (size < 0 || n <= 1 || size < n) {
            return new DownloadPlan(source, size, null, List.of(new Part(0, size - 1 < 0 ? -1 : size - 1, 0)));
        }
        final List<Part> parts = new ArrayList<>();
        final long step = size / n;
        for (int i = 0; i < n; i++) {
            final long start = i * step;
            final long end = i == n - 1 ? size - 1 : start + step - 1;
            parts.add(new Part(start, end, 0));
        }
        return new DownloadPlan(source, size, null, parts);
    }

    /** Back to one range from byte 0: the server ignored a range request. */
    void collapse(final long knownSize) {
        size = knownSize;
        parts = List.of(new Part(0, knownSize < 0 ? -1 : knownSize - 1, 0));
    }

    long done() {
        return parts.stream().mapToLong(p -> p.done).sum();
    }

    boolean complete() {
        return parts.stream().allMatch(Part::complete);
    }

    /** The saved plan, when there is one that reads. */
    static Optional<DownloadPlan> load(final Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            final JsonNode n = JSON.readTree(file.toFile());
            final List<Part> parts = new ArrayList<>();
            for (JsonNode p : n.get("parts")) {
                final long start = p.get(0).asLong();
                final long end = p.get(1).asLong();
                final long done = p.get(2).asLong();
                if (start < 0 || done < 0 || (end >= 0 && start + done > end + 1)) {
                    return Optional.empty();
                }
                parts.add(new Part(start, end, done));
            }
            final long size = n.get("size").asLong();
            if (!contiguous(parts, size)) {
                return Optional.empty();
            }
            final JsonNode v = n.get("validator");
            return Optional.of(new DownloadPlan(n.get("source").asText(), size, v == null || v.isNull() ? null : v.asText(), parts));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // a plan that does not read is no plan: start over
        }
    }

    /** The ranges cover 0 to size-1 in order, without gap or overlap (an unknown size: one open range from 0). */
    private static boolean contiguous(final List<Part> parts, final long size) {
        if (parts.isEmpty()) {
            return size == 0;
        }
        if (parts.getFirst().start != 0) {
            return false;
        }
        if (size < 0) {
            return parts.size() == 1 && parts.getFirst().end == -1;
        }
        for (int i = 0; i < parts.size(); i++) {
            final Part p = parts.get(i);
            final long nextStart = i + 1 < parts.size() ? parts.get(i + 1).start : size;
            if (p.end != nextStart - 1 || p.end < p.start) {
                return false;
            }
        }
        return true;
    }

    /** Writes the plan atomically (a temporary file renamed over the old one). */
    void save(final Path file) throws IOException {
        final ObjectNode n = JSON.createObjectNode();
        n.put("source", source);
        n.put("size", size);
        n.put("validator", validator);
        final ArrayNode array = n.putArray("parts");
        for (Part p : parts) {
            array.addArray().add(p.start).add(p.end).add(p.done);
        }
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(n));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
