package io.strata.model.modelfile;

/** A Modelfile that cannot be used; the message starts with the line number when the problem has one. */
public final class ModelfileException extends RuntimeException {
    private final int line;

    public ModelfileException(final int line, final String problem) {
        super(line > 0 ? "Modelfile line " + line + ": " + problem : "Modelfile: " + problem);
        this.line = line;
    }

    /** The 1-based line, or 0 when the problem is the file as a whole. */
    public int line() { return line; }
}
