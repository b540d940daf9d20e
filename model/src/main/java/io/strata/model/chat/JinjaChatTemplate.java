package io.strata.model.chat;

import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face chat template rendered with Jinjava, set up to match transformers' Jinja2 environment
 * ({@code trim_blocks}, {@code lstrip_blocks}, one trailing newline of the source dropped, Jinja2's parse of
 * {@code not} and nested braces via {@link Jinja2Syntax}) and its globals
 * {@code raise_exception(msg)} and {@code strftime_now(format)}; see {@link JinjaEngine} for the Python-isms added on
 * top of Jinjava. Instances are immutable and thread-safe; the template is parsed on every render (a few
 * milliseconds, once per request).
 */
final class JinjaChatTemplate implements ChatTemplate {
    private final String source;
    private final Clock clock;

    JinjaChatTemplate(final String source, final Clock clock) {
        this.source = Jinja2Syntax.adapt(
                dropOneTrailingNewline(normalizeNewlines(Objects.requireNonNull(source, "source"))));
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String render(final List<ChatMessage> messages, final boolean addGenerationPrompt, final String bosToken,
                         final String eosToken, final Map<String, ?> extraVariables) {
        final Map<String, Object> bindings = new HashMap<>(extraVariables);
        bindings.put("messages", asTemplateMessages(messages));
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", Objects.requireNonNullElse(bosToken, ""));
        bindings.put("eos_token", Objects.requireNonNullElse(eosToken, ""));
        bindings.put(JinjaEngine.NOW_VARIABLE, ZonedDateTime.now(clock));
        // Calls go to the registered functions; these bindings only make "strftime_now is defined" true, as in HF.
        bindings.put("raise_exception", JinjaEngine.FUNCTION_MARKER);
        bindings.put("strftime_now", JinjaEngine.FUNCTION_MARKER);

        final RenderResult result = JinjaEngine.JINJAVA.renderForResult(source, bindings);
        for (final TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw toException(error);
            }
        }
        return result.getOutput();
    }

    /** The template source as rendered (newlines normalized, one trailing newline removed, syntax adapted). */
    String source() {
        return source;
    }

    @Override
    public String toString() {
        return "JinjaChatTemplate[" + source.length() + " chars]";
    }

    /** Messages as mutable maps in role, content order: templates index them ({@code m['role']}) and tojson them. */
    private static List<Map<String, Object>> asTemplateMessages(final List<ChatMessage> messages) {
        final List<Map<String, Object>> result = new ArrayList<>(messages.size());
        for (final ChatMessage message : messages) {
            final Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", message.role());
            map.put("content", message.content());
            result.add(map);
        }
        return result;
    }

    private static ChatTemplateException toException(final TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof JinjaEngine.TemplateRaisedException raised) {
                return new ChatTemplateException(raised.getMessage(), true, raised);
            }
        }
        final String where = error.getLineno() > 0 ? " at line " + error.getLineno() : "";
        return new ChatTemplateException("chat template error" + where + ": " + error.getMessage(), false,
                error.getException());
    }

    // Jinja2's lexer splits on \r\n, \r and \n and joins with \n.
    static String normalizeNewlines(final String text) {
        return text.indexOf('\r') < 0 ? text : text.replace("\r\n", "\n").replace('\r', '\n');
    }

    // Jinja2's keep_trailing_newline=False (transformers' setting) drops exactly one newline at the end of the source.
    static String dropOneTrailingNewline(final String text) {
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }
}
