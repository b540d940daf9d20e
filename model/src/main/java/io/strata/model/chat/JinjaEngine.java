package io.strata.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.javax.el.CompositeELResolver;

import java.time.ZonedDateTime;

/**
 * The one Jinjava instance all chat templates share, configured like transformers' Jinja2 environment.
 *
 * <p>What Jinjava lacks out of the box, and what is added here:
 * <ul>
 *   <li>{@code raise_exception(msg)}: HF templates call it to reject a conversation; it aborts the render and
 *       {@link JinjaChatTemplate} reports {@code msg} verbatim.</li>
 *   <li>{@code strftime_now(format)}: Python strftime of "now" (Llama 3.x date line), see {@link Strftime}.</li>
 *   <li>Python {@code str} methods ({@code .strip()}, {@code .startswith()}, {@code .split()}, ...) through
 *       {@link PythonStringMethods}.</li>
 *   <li>{@code tojson} as transformers defines it (json.dumps separators, no key sorting, no HTML escaping, an
 *       {@code indent} keyword) through {@link PythonJson}.</li>
 * </ul>
 * The engine is immutable after class initialization, so sharing it is safe; per-render state (the clock reading)
 * travels in the render's bindings.
 */
final class JinjaEngine {
    /** Binding that carries the render's "now" to {@link #strftimeNow(String)}. */
    static final String NOW_VARIABLE = "__strata_now__";
    /** Bound under the function names so that {@code strftime_now is defined} holds, as it does in transformers. */
    static final Object FUNCTION_MARKER = new Object() {
        @Override
        public String toString() {
            return "<built-in function>";
        }
    };

    /**
     * Jinjava's opt-ins for Jinja2 behaviour: the dash of {@code {{- x -}}} and {@code {#- -#}} trims whitespace
     * (Qwen and Llama 3.x templates are written that way), iterating a dict yields its keys, dict-literal keys are
     * expressions, None entries survive loops, and backslashes only escape inside quotes. Jinjava's "natural operator
     * precedence" is left off: it breaks {@code not x is defined}; {@link Jinja2Syntax} fixes {@code not} instead.
     */
    private static final LegacyOverrides JINJA2_SEMANTICS = LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withParseWhitespaceControlStrictly(true)
            .withIterateOverMapKeys(true)
            .withEvaluateMapKeys(true)
            .withKeepNullableLoopValues(true)
            .withHandleBackslashInQuotesOnly(true)
            .build();

    static final Jinjava JINJAVA = create();

    private JinjaEngine() {
    }

    private static Jinjava create() {
        final CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        final JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withLegacyOverrides(JINJA2_SEMANTICS)
                .build();
        final Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", JinjaEngine.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", JinjaEngine.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonJson.ToJsonFilter());
        return jinjava;
    }

    /** Template function {@code raise_exception(message)}. */
    public static String raiseException(final String message) {
        throw new TemplateRaisedException(message);
    }

    /** Template function {@code strftime_now(format)}: the render's clock reading, formatted like Python. */
    public static String strftimeNow(final String format) {
        final JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        final Object now = interpreter == null ? null : interpreter.getContext().get(NOW_VARIABLE);
        return Strftime.format(format, now instanceof ZonedDateTime time ? time : ZonedDateTime.now());
    }

    /** Thrown by {@code raise_exception}; Jinjava wraps it, {@link JinjaChatTemplate} digs it out again. */
    static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(final String message) {
            super(message, null, false, false);
        }
    }
}
