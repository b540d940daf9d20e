package io.strata.model.gotemplate;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Ollama's prompt templates: the subset of Go's {@code text/template} its library models use (protocols.md 3.3).
 *
 * <p>Supported: text and {@code {{ pipeline }}} actions with {@code {{-}/{@code -}}} white-space trimming and
 * comments; fields of dot and of variables ({@code .Messages}, {@code $.System}, {@code $m.Role}); variables
 * declared with {@code :=} and assigned with {@code =}, scoped to their block; {@code if}/{@code else if}/{@code else},
 * {@code range} (lists, maps by sorted key, integers; one or two variables; {@code else}, {@code break},
 * {@code continue}), {@code with}/{@code else with}; parenthesised pipelines and {@code |}; string, number, boolean
 * and nil literals; the functions {@code eq ne lt le gt ge and or not len slice index print printf println json
 * currentDate yesterdayDate}. Not supported: {@code define}, {@code template}, {@code block}, method calls, Ollama's
 * {@code toTypeScriptType}. Data is maps (fields), lists, strings, numbers and booleans; a missing field is nil and
 * prints as nothing.
 */
public final class GoTemplate {
    private final String source;
    private final List<Node> nodes;

    GoTemplate(final String source, final List<Node> nodes) {
        this.source = source;
        this.nodes = nodes;
    }

    /** Parses a template; a {@link GoTemplateException} names the line of the first problem. */
    public static GoTemplate parse(final String source) {
        return new GoTemplate(source, Parser.parse(source));
    }

    public String source() { return source; }

    /** Renders with {@code data} as dot and {@code $}; dates come from the system clock. */
    public String render(final Map<String, ?> data) {
        return render(data, Clock.systemDefaultZone());
    }

    /** Renders with {@code data} as dot and {@code $}; {@code currentDate} reads {@code clock}. */
    public String render(final Map<String, ?> data, final Clock clock) {
        return Evaluator.run(nodes, data, clock);
    }

    /**
     * Whether an action uses the field, as {@code .Name} or {@code $.Name} or deeper in a chain ({@code .X.Name}),
     * the way Ollama's {@code Template.Vars} decides between its {@code .Messages} and legacy paths.
     */
    public boolean mentions(final String field) {
        return Nodes.fieldNames(nodes).contains(field);
    }

    List<Node> nodes() { return nodes; }
}
