package io.strata.model.chat;

/**
 * A chat template could not be rendered. When the template itself gave up through {@code raise_exception(msg)}
 * (typically "Conversation roles must alternate ..."), {@link #getMessage()} is exactly the template's message and
 * {@link #raisedByTemplate()} is true, so an API layer can return it to the client as a 400.
 */
public final class ChatTemplateException extends RuntimeException {
    private final boolean raisedByTemplate;

    public ChatTemplateException(final String message, final boolean raisedByTemplate, final Throwable cause) {
        super(message, cause);
        this.raisedByTemplate = raisedByTemplate;
    }

    /** True when the template called {@code raise_exception}; false for syntax or evaluation errors. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
