package io.strata.model;

import java.nio.file.Path;

/**
 * A model file is truncated, corrupt or uses something Strata does not support.
 * The message always names the file, the field and (when known) the byte offset, so a user can tell
 * which file is bad and why without a stack trace.
 */
public final class ModelFormatException extends RuntimeException {
    /** Offset value used when the problem is not tied to one byte position. */
    public static final long NO_OFFSET = -1;

    private final String file;
    private final String field;
    private final long offset;

    public ModelFormatException(String file, String field, long offset, String problem) {
        super(format(file, field, offset, problem));
        this.file = file;
        this.field = field;
        this.offset = offset;
    }

    public ModelFormatException(Path file, String field, long offset, String problem) {
        this(String.valueOf(file), field, offset, problem);
    }

    private static String format(String file, String field, long offset, String problem) {
        String where = offset >= 0 ? " at byte " + offset : "";
        return file + ": " + field + where + ": " + problem;
    }

    public String file() { return file; }

    public String field() { return field; }

    /** Byte offset of the bad field, or {@link #NO_OFFSET}. */
    public long offset() { return offset; }
}
