package io.strata.model.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A sha256 content digest, written {@code sha256:<64 hex>} in manifests and {@code sha256-<64 hex>} as a blob file name. */
public record Digest(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    private static final String PREFIX = "sha256:";
    private static final String FILE_PREFIX = "sha256-";

    public Digest {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a sha256 digest (64 lower-case hex digits): " + hex);
        }
    }

    /** Parses {@code sha256:<hex>}. */
    public static Digest parse(final String text) {
        if (text == null || !text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("digest \"" + text + "\" does not start with " + PREFIX);
        }
        return new Digest(text.substring(PREFIX.length()));
    }

    /** The digest a blob file name stands for, or null when the name is not {@code sha256-<hex>}. */
    public static Digest fromFileName(final String name) {
        if (!name.startsWith(FILE_PREFIX) || !HEX.matcher(name.substring(FILE_PREFIX.length())).matches()) {
            return null;
        }
        return new Digest(name.substring(FILE_PREFIX.length()));
    }

    public static Digest of(final byte[] bytes) {
        return new Digest(HexFormat.of().formatHex(sha256().digest(bytes)));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public String fileName() {
        return FILE_PREFIX + hex;
    }

    /** The first 12 hex digits, as {@code ollama list} shows an id. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return PREFIX + hex;
    }
}
