package io.strata.model.store;

import java.util.Objects;

/**
 * A small layer's media type and its text: a template, a system prompt, the parameters JSON, the messages JSON or a
 * license, as a stored model's manifest lists them or a packaged jar carries them.
 */
public record TextLayer(String mediaType, String text) {
    public TextLayer {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(text, "text");
    }
}
