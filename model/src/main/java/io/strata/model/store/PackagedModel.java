package io.strata.model.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.model.gguf.GgufFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The model inside a jar written by {@code strata package}. The jar holds the GGUF as one uncompressed (STORED) entry
 * whose bytes start on a {@value #ALIGNMENT}-byte boundary of the jar file, so the weights are memory-mapped in place
 * from the jar, never extracted or read onto the heap; and a descriptor ({@value #DESCRIPTOR}) that says where the
 * GGUF's bytes lie and carries the model's name and its text layers (template, system prompt, parameters, messages,
 * licenses) as a stored model's manifest would.
 *
 * <p>Opening checks the descriptor against the jar itself: the GGUF entry is STORED with the descriptor's length, and
 * its local file header sits where the descriptor says, with the data right after it. A jar that was rewritten (for
 * example recompressed by another tool) is refused with a message saying so rather than mapped at a wrong offset.
 *
 * @param localHeaderOffset where the GGUF entry's ZIP local file header starts
 * @param offset            where the GGUF's first byte is in the jar file
 * @param length            the GGUF's size in bytes
 * @param sha256            the GGUF's SHA-256, hex (the model's digest)
 */
public record PackagedModel(Path jar, String name, long localHeaderOffset, long offset, long length, String sha256,
                            List<TextLayer> layers) {
    /** System property naming the jar whose packaged model references resolve to (set by the jar's launcher). */
    public static final String PROPERTY = "strata.package";
    /** The descriptor entry. */
    public static final String DESCRIPTOR = "strata/package.json";
    /** The GGUF entry. */
    public static final String GGUF_ENTRY = "strata/model.gguf";
    /** The GGUF's bytes start at a multiple of this in the jar: a page, so the mapping starts on one. */
    public static final int ALIGNMENT = 4096;
    /** The descriptor's layout version; a reader refuses any other. */
    public static final int FORMAT = 1;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LOCAL_HEADER_SIGNATURE = 0x04034b50;
    private static final int LOCAL_HEADER_BYTES = 30;
    /** A descriptor is names and small texts; a larger one is not ours. */
    private static final long MAX_DESCRIPTOR_BYTES = 16L << 20;

    public PackagedModel {
        layers = List.copyOf(layers);
    }

    /** Whether a model reference names this model: its name, with or without the {@code :latest} tag. */
    public boolean answersTo(final String reference) {
        final String r = reference.toLowerCase(Locale.ROOT);
        final String n = name.toLowerCase(Locale.ROOT);
        return r.equals(n) || r.equals(n + ":latest") || (n.endsWith(":latest") && r.equals(n.substring(0, n.length() - 7)));
    }

    /** Maps the GGUF where it lies in the jar. */
    public GgufFile openGguf() {
        return GgufFile.open(jar, offset, length, jar + "!/" + GGUF_ENTRY);
    }

    /** The descriptor's JSON. */
    public String descriptorJson() {
        final ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("name", name);
        final ObjectNode g = o.putObject("gguf");
        g.put("entry", GGUF_ENTRY);
        g.put("local_header_offset", localHeaderOffset);
        g.put("offset", offset);
        g.put("length", length);
        g.put("sha256", sha256);
        final ArrayNode a = o.putArray("layers");
        for (TextLayer l : layers) {
            a.addObject().put("media_type", l.mediaType()).put("text", l.text());
        }
        return o.toString();
    }

    /** The packaged model of {@code jar}, or empty when the jar has no descriptor (it is not a model package). */
    public static Optional<PackagedModel> find(final Path jar) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.getEntry(DESCRIPTOR) == null ? Optional.empty() : Optional.of(read(jar, zip));
        } catch (IOException e) {
            throw new StoreException(jar + ": cannot read the jar: " + e.getMessage(), e);
        }
    }

    /** The packaged model of {@code jar}; a jar without one, or whose descriptor does not match it, is an error. */
    public static PackagedModel open(final Path jar) {
        return find(jar).orElseThrow(() -> new StoreException(jar + " is not a Strata model package (no " + DESCRIPTOR
                + "; write one with strata package MODEL -o NAME.jar)"));
    }

    private static PackagedModel read(final Path jar, final ZipFile zip) throws IOException {
        final ZipEntry d = zip.getEntry(DESCRIPTOR);
        if (d.getSize() > MAX_DESCRIPTOR_BYTES) {
            throw problem(jar, DESCRIPTOR + " is " + d.getSize() + " bytes, more than a descriptor can be");
        }
        final JsonNode o;
        try (InputStream in = zip.getInputStream(d)) {
            o = JSON.readTree(in.readNBytes((int) MAX_DESCRIPTOR_BYTES));
        } catch (IOException e) {
            throw problem(jar, DESCRIPTOR + " is not JSON: " + e.getMessage());
        }
        if (o == null || o.path("format").asInt(-1) != FORMAT) {
            throw problem(jar, DESCRIPTOR + " has format " + (o == null ? "none" : o.path("format"))
                    + "; this Strata reads format " + FORMAT);
        }
        final JsonNode g = o.path("gguf");
        final String name = text(jar, o, "name");
        final String sha = text(jar, g, "sha256");
        final long header = number(jar, g, "local_header_offset");
        final long offset = number(jar, g, "offset");
        final long length = number(jar, g, "length");
        final List<TextLayer> layers = new ArrayList<>();
        for (JsonNode l : o.path("layers")) {
            layers.add(new TextLayer(text(jar, l, "media_type"), text(jar, l, "text")));
        }
        final ZipEntry e = zip.getEntry(GGUF_ENTRY);
        if (e == null) {
            throw problem(jar, "no " + GGUF_ENTRY + " entry");
        }
        if (e.getMethod() != ZipEntry.STORED || e.getSize() != length) {
            throw problem(jar, GGUF_ENTRY + " is " + (e.getMethod() == ZipEntry.STORED ? "" : "compressed, ")
                    + e.getSize() + " bytes; the descriptor says " + length + " bytes stored: was the jar rewritten by "
                    + "another tool? Package the model again");
        }
        checkLocalHeader(jar, header, offset);
        return new PackagedModel(jar, name, header, offset, length, sha, layers);
    }

    /** The GGUF entry's local header is at {@code header}, names the entry, and its data starts at {@code offset}. */
    private static void checkLocalHeader(final Path jar, final long header, final long offset) throws IOException {
        final byte[] name = GGUF_ENTRY.getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(jar, StandardOpenOption.READ)) {
            if (header < 0 || header > ch.size() - LOCAL_HEADER_BYTES - name.length) {
                throw problem(jar, "the GGUF entry's header offset " + header + " lies outside the jar");
            }
            final ByteBuffer b = ByteBuffer.allocate(LOCAL_HEADER_BYTES + name.length).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b, header + b.position()) >= 0) {
                // read the fixed header and the name
            }
            final int nameLength = Short.toUnsignedInt(b.getShort(26));
            final int extraLength = Short.toUnsignedInt(b.getShort(28));
            final boolean named = nameLength == name.length
                    && b.slice(LOCAL_HEADER_BYTES, name.length).equals(ByteBuffer.wrap(name));
            if (b.getInt(0) != LOCAL_HEADER_SIGNATURE || b.getShort(8) != 0 || !named
                    || header + LOCAL_HEADER_BYTES + nameLength + extraLength != offset) {
                throw problem(jar, "the GGUF entry is not where the descriptor says (byte " + offset
                        + "): was the jar rewritten by another tool? Package the model again");
            }
        }
    }

    private static String text(final Path jar, final JsonNode o, final String field) {
        final JsonNode v = o.get(field);
        if (v == null || !v.isTextual()) {
            throw problem(jar, DESCRIPTOR + " lacks the text field '" + field + "'");
        }
        return v.textValue();
    }

    private static long number(final Path jar, final JsonNode o, final String field) {
        final JsonNode v = o.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            throw problem(jar, DESCRIPTOR + " lacks the non-negative integer '" + field + "'");
        }
        return v.longValue();
    }

    private static StoreException problem(final Path jar, final String what) {
        return new StoreException(jar + ": " + what);
    }
}
