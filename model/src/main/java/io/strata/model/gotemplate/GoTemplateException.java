package io.strata.model.gotemplate;

/** A Go template that does not parse or fails while running; the message names the template line. */
public final class GoTemplateException extends RuntimeException {
    private final int line;

    public GoTemplateException(final int line, final String problem) {
        super("template line " + line + ": " + problem);
        this.line = line;
    }

    public int line() { return line; }
}
