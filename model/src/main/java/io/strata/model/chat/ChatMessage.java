package io.strata.model.chat;

import java.util.Objects;

/**
 * One turn of a conversation as chat templates see it: {@code messages[i]['role']} and {@code messages[i]['content']}.
 * Roles are free text ("system", "user", "assistant", "tool", ...) because each template decides which it accepts.
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(final String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(final String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(final String content) {
        return new ChatMessage("assistant", content);
    }
}
