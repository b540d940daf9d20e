package io.strata.model.gotemplate;

import java.util.List;

/** The parsed form of a Go template: text, actions and control structures over pipelines. */
sealed interface Node {

    /** Literal text between actions (already trimmed by {@code {{-} and {@code -}}}). */
    record Text(String text) implements Node {}

    /** {@code {{ pipeline }}}: prints the value, unless the pipeline declares or assigns a variable. */
    record Action(Pipeline pipeline, int line) implements Node {}

    /** {@code if}, {@code else if}, {@code else}. */
    record If(Pipeline condition, List<Node> then, List<Node> otherwise, int line) implements Node {}

    /** {@code with}: the body runs with dot set to a non-empty value. */
    record With(Pipeline value, List<Node> body, List<Node> otherwise, int line) implements Node {}

    /** {@code range}: the body runs per element (dot the element), else when there is none. */
    record Range(Pipeline value, List<Node> body, List<Node> otherwise, int line) implements Node {}

    record Break(int line) implements Node {}

    record Continue(int line) implements Node {}

    /** {@code $a, $b := cmd | cmd}: commands piped into each other, optionally bound to variables. */
    record Pipeline(List<String> variables, boolean declare, List<Command> commands, int line) {}

    /** One command: a function and its arguments, or a single value. */
    record Command(List<Operand> operands, int line) {}

    /** An argument: a value source, possibly followed by a field chain. */
    sealed interface Operand {
        /** {@code .A.B}: fields of dot; an empty chain is dot itself. */
        record Field(List<String> chain) implements Operand {}

        /** {@code $x.A}: a variable and fields of it; {@code $} is the data the template runs on. */
        record Variable(String name, List<String> chain) implements Operand {}

        /** A string, number, boolean or nil. */
        record Literal(Object value) implements Operand {}

        /** A function name. */
        record Function(String name) implements Operand {}

        /** {@code (pipeline).A}: a parenthesised pipeline and fields of its value. */
        record Sub(Pipeline pipeline, List<String> chain) implements Operand {}
    }
}
