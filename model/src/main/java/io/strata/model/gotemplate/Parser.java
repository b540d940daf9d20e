package io.strata.model.gotemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns template text into {@link Node}s. Actions are {@code {{ ... }}}; {@code {{- } trims the white space before
 * it and { -}}} the white space after it (the dash must be followed, or preceded, by white space, as in Go);
 * {@code {{/* ... *&#47;}}} is a comment.
 */
final class Parser {
    private static final Set<String> UNSUPPORTED = Set.of("define", "template", "block");

    /** One lexical token inside an action. {@code spaced}: white space came before it. */
    private record Tok(Kind kind, String text, boolean spaced) {}

    private enum Kind { FIELD, VARIABLE, IDENT, STRING, NUMBER, LPAREN, RPAREN, PIPE, DECLARE, ASSIGN, COMMA }

    /** One action: its tokens and the line it starts on. */
    private record ActionToks(List<Tok> toks, int line) {}

    private final String src;
    private final List<Object> items = new ArrayList<>(); // String (text) or ActionToks
    private int itemPos;

    private Parser(final String src) {
        this.src = src;
    }

    static List<Node> parse(final String src) {
        final Parser p = new Parser(src);
        p.split();
        final Result r = p.list();
        if (r.end != null) {
            throw new GoTemplateException(r.endLine, "unexpected {{" + r.end + "}}");
        }
        return r.nodes;
    }

    // ---- splitting text and actions ----

    private void split() {
        int pos = 0;
        int line = 1;
        boolean trimNext = false;
        final StringBuilder text = new StringBuilder();
        while (true) {
            final int open = src.indexOf("{{", pos);
            String chunk = open < 0 ? src.substring(pos) : src.substring(pos, open);
            if (trimNext) {
                chunk = chunk.stripLeading();
            }
            final int chunkLines = count(src, pos, open < 0 ? src.length() : open);
            if (open < 0) {
                text.append(chunk);
                addText(text);
                return;
            }
            line += chunkLines;
            final int actionLine = line;
            int start = open + 2;
            if (src.startsWith("-", start) && start + 1 < src.length() && isSpace(src.charAt(start + 1))) {
                chunk = chunk.stripTrailing();
                start += 2;
            }
            text.append(chunk);
            addText(text);
            final int close = findClose(start, actionLine);
            int end = close;
            trimNext = false;
            if (end - 1 >= start && src.charAt(end - 1) == '-' && end - 2 >= start && isSpace(src.charAt(end - 2))) {
                trimNext = true;
                end -= 1;
            }
            final String body = src.substring(start, end);
            line += count(src, open, close + 2);
            pos = close + 2;
            final String stripped = body.strip();
            if (stripped.startsWith("/*")) {
                if (!stripped.endsWith("*/")) {
                    throw new GoTemplateException(actionLine, "unclosed comment");
                }
                continue;
            }
            items.add(new ActionToks(lex(body, actionLine), actionLine));
        }
    }

    private void addText(final StringBuilder text) {
        if (!text.isEmpty()) {
            items.add(text.toString());
            text.setLength(0);
        }
    }

    private static boolean isSpace(final char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static int count(final String s, final int from, final int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }

    /** The index of the {@code }}} that closes the action starting at {@code from}, skipping quoted text. */
    private int findClose(final int from, final int line) {
        int i = from;
        final boolean comment = src.startsWith("/*", skipSpace(from));
        if (comment) {
            final int c = src.indexOf("*/", from);
            if (c < 0) {
                throw new GoTemplateException(line, "unclosed comment");
            }
            i = c + 2;
        }
        while (i < src.length()) {
            final char c = src.charAt(i);
            if (c == '"' || c == '`' || c == '\'') {
                final int q = closingQuote(i, c);
                if (q < 0) {
                    throw new GoTemplateException(line, "unterminated quoted string");
                }
                i = q + 1;
            } else if (src.startsWith("}}", i)) {
                return i;
            } else {
                i++;
            }
        }
        throw new GoTemplateException(line, "unclosed action: no }} after {{");
    }

    private int skipSpace(int i) {
        while (i < src.length() && isSpace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private int closingQuote(final int open, final char q) {
        for (int i = open + 1; i < src.length(); i++) {
            final char c = src.charAt(i);
            if (c == '\\' && q != '`') {
                i++;
            } else if (c == q) {
                return i;
            } else if (c == '\n' && q != '`') {
                return -1;
            }
        }
        return -1;
    }

    // ---- lexing an action ----

    private static List<Tok> lex(final String s, final int line) {
        final List<Tok> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            final int before = i;
            while (i < s.length() && isSpace(s.charAt(i))) {
                i++;
            }
            if (i >= s.length()) {
                break;
            }
            final boolean spaced = i > before || out.isEmpty();
            final char c = s.charAt(i);
            if (c == '.' && (i + 1 >= s.length() || !Character.isDigit(s.charAt(i + 1)))) {
                final int start = i;
                i++;
                while (i < s.length() && (isIdentChar(s.charAt(i)) || s.charAt(i) == '.')) {
                    i++;
                }
                out.add(new Tok(Kind.FIELD, s.substring(start, i), spaced));
            } else if (c == '$') {
                final int start = i;
                i++;
                while (i < s.length() && (isIdentChar(s.charAt(i)) || s.charAt(i) == '.')) {
                    i++;
                }
                out.add(new Tok(Kind.VARIABLE, s.substring(start, i), spaced));
            } else if (c == '"' || c == '`') {
                final StringBuilder b = new StringBuilder();
                i++;
                while (i < s.length() && s.charAt(i) != c) {
                    char ch = s.charAt(i++);
                    if (ch == '\\' && c == '"' && i < s.length()) {
                        ch = s.charAt(i++);
                        switch (ch) {
                            case 'n' -> b.append('\n');
                            case 't' -> b.append('\t');
                            case 'r' -> b.append('\r');
                            case '\\', '"', '\'' -> b.append(ch);
                            case 'u' -> {
                                b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                                i += 4;
                            }
                            default -> throw new GoTemplateException(line, "unknown escape \\" + ch + " in a string");
                        }
                    } else {
                        b.append(ch);
                    }
                }
                if (i >= s.length()) {
                    throw new GoTemplateException(line, "unterminated quoted string");
                }
                i++;
                out.add(new Tok(Kind.STRING, b.toString(), spaced));
            } else if (c == '\'') {
                final int q = s.indexOf('\'', i + 1);
                if (q != i + 2) {
                    throw new GoTemplateException(line, "bad character constant");
                }
                out.add(new Tok(Kind.NUMBER, Integer.toString(s.charAt(i + 1)), spaced));
                i = q + 1;
            } else if (Character.isDigit(c) || ((c == '-' || c == '+') && i + 1 < s.length()
                    && (Character.isDigit(s.charAt(i + 1)) || s.charAt(i + 1) == '.'))
                    || (c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
                final int start = i;
                i++;
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.'
                        || s.charAt(i) == '_')) {
                    i++;
                }
                out.add(new Tok(Kind.NUMBER, s.substring(start, i), spaced));
            } else if (isIdentChar(c)) {
                final int start = i;
                while (i < s.length() && isIdentChar(s.charAt(i))) {
                    i++;
                }
                out.add(new Tok(Kind.IDENT, s.substring(start, i), spaced));
            } else if (c == '(') {
                out.add(new Tok(Kind.LPAREN, "(", spaced));
                i++;
            } else if (c == ')') {
                out.add(new Tok(Kind.RPAREN, ")", spaced));
                i++;
            } else if (c == '|') {
                out.add(new Tok(Kind.PIPE, "|", spaced));
                i++;
            } else if (c == ',') {
                out.add(new Tok(Kind.COMMA, ",", spaced));
                i++;
            } else if (s.startsWith(":=", i)) {
                out.add(new Tok(Kind.DECLARE, ":=", spaced));
                i += 2;
            } else if (c == '=') {
                out.add(new Tok(Kind.ASSIGN, "=", spaced));
                i++;
            } else {
                throw new GoTemplateException(line, "unexpected character '" + c + "' in an action");
            }
        }
        return out;
    }

    private static boolean isIdentChar(final char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    // ---- parsing ----

    /** Nodes up to an {@code end} or {@code else} (then {@code end} names it and {@code rest} holds what follows). */
    private record Result(List<Node> nodes, String end, List<Tok> rest, int endLine) {}

    private Result list() {
        final List<Node> nodes = new ArrayList<>();
        while (itemPos < items.size()) {
            final Object item = items.get(itemPos++);
            if (item instanceof String text) {
                nodes.add(new Node.Text(text));
                continue;
            }
            final ActionToks a = (ActionToks) item;
            final List<Tok> t = a.toks();
            if (t.isEmpty()) {
                throw new GoTemplateException(a.line(), "missing value for command");
            }
            final Tok first = t.get(0);
            if (first.kind() == Kind.IDENT) {
                switch (first.text()) {
                    case "end" -> {
                        if (t.size() > 1) {
                            throw new GoTemplateException(a.line(), "unexpected text after end");
                        }
                        return new Result(nodes, "end", List.of(), a.line());
                    }
                    case "else" -> {
                        return new Result(nodes, "else", t.subList(1, t.size()), a.line());
                    }
                    case "if", "with", "range" -> {
                        nodes.add(control(first.text(), t.subList(1, t.size()), a.line()));
                        continue;
                    }
                    case "break" -> {
                        nodes.add(new Node.Break(a.line()));
                        continue;
                    }
                    case "continue" -> {
                        nodes.add(new Node.Continue(a.line()));
                        continue;
                    }
                    default -> {
                        if (UNSUPPORTED.contains(first.text())) {
                            throw new GoTemplateException(a.line(), "{{" + first.text() + "}} is not supported");
                        }
                    }
                }
            }
            nodes.add(new Node.Action(pipeline(t, a.line()), a.line()));
        }
        return new Result(nodes, null, List.of(), 0);
    }

    private Node control(final String keyword, final List<Tok> toks, final int line) {
        if (toks.isEmpty()) {
            throw new GoTemplateException(line, "missing value for " + keyword);
        }
        final Node.Pipeline p = pipeline(toks, line);
        final Result body = list();
        if (body.end == null) {
            throw new GoTemplateException(line, "unclosed {{" + keyword + "}}: no {{end}}");
        }
        List<Node> otherwise = List.of();
        if (body.end.equals("else")) {
            if (!body.rest.isEmpty()) {
                final Tok next = body.rest.get(0);
                if (next.kind() == Kind.IDENT && (next.text().equals("if") || next.text().equals("with"))) {
                    // else if / else with: a nested structure that shares this one's {{end}}
                    otherwise = List.of(control(next.text(), body.rest.subList(1, body.rest.size()), body.endLine));
                } else {
                    throw new GoTemplateException(body.endLine, "unexpected text after else");
                }
            } else {
                final Result elseBody = list();
                if (elseBody.end == null || !elseBody.end.equals("end")) {
                    throw new GoTemplateException(line, "unclosed {{" + keyword + "}}: no {{end}} after {{else}}");
                }
                otherwise = elseBody.nodes;
            }
        }
        return switch (keyword) {
            case "if" -> new Node.If(p, body.nodes, otherwise, line);
            case "with" -> new Node.With(p, body.nodes, otherwise, line);
            default -> new Node.Range(p, body.nodes, otherwise, line);
        };
    }

    private Node.Pipeline pipeline(final List<Tok> toks, final int line) {
        int i = 0;
        final List<String> vars = new ArrayList<>();
        boolean declare = false;
        // $a := ..., $a, $b := ..., $a = ...
        int j = 0;
        final List<String> candidate = new ArrayList<>();
        while (j < toks.size() && toks.get(j).kind() == Kind.VARIABLE && !toks.get(j).text().contains(".")) {
            candidate.add(toks.get(j).text());
            j++;
            if (j < toks.size() && toks.get(j).kind() == Kind.COMMA) {
                j++;
            } else {
                break;
            }
        }
        if (!candidate.isEmpty() && j < toks.size()
                && (toks.get(j).kind() == Kind.DECLARE || toks.get(j).kind() == Kind.ASSIGN)) {
            declare = toks.get(j).kind() == Kind.DECLARE;
            vars.addAll(candidate);
            if (vars.size() > 2) {
                throw new GoTemplateException(line, "too many variables declared");
            }
            i = j + 1;
        }
        final List<Node.Command> commands = new ArrayList<>();
        final int[] pos = {i};
        while (true) {
            commands.add(command(toks, pos, line));
            if (pos[0] < toks.size() && toks.get(pos[0]).kind() == Kind.PIPE) {
                pos[0]++;
                continue;
            }
            break;
        }
        if (pos[0] < toks.size()) {
            throw new GoTemplateException(line, "unexpected \"" + toks.get(pos[0]).text() + "\"");
        }
        return new Node.Pipeline(List.copyOf(vars), declare, List.copyOf(commands), line);
    }

    private Node.Pipeline subPipeline(final List<Tok> toks, final int[] pos, final int line) {
        int depth = 0;
        final int start = pos[0];
        for (int k = start; k < toks.size(); k++) {
            final Kind kind = toks.get(k).kind();
            if (kind == Kind.LPAREN) {
                depth++;
            } else if (kind == Kind.RPAREN) {
                if (depth == 0) {
                    pos[0] = k + 1;
                    if (k == start) {
                        throw new GoTemplateException(line, "missing value in ()");
                    }
                    return pipeline(toks.subList(start, k), line);
                }
                depth--;
            }
        }
        throw new GoTemplateException(line, "unclosed left paren");
    }

    private Node.Command command(final List<Tok> toks, final int[] pos, final int line) {
        final List<Node.Operand> ops = new ArrayList<>();
        while (pos[0] < toks.size()) {
            final Tok t = toks.get(pos[0]);
            if (t.kind() == Kind.PIPE || t.kind() == Kind.RPAREN) {
                break;
            }
            pos[0]++;
            final Node.Operand op = switch (t.kind()) {
                case FIELD -> new Node.Operand.Field(chain(t.text().substring(1), line));
                case VARIABLE -> {
                    final int dot = t.text().indexOf('.');
                    yield dot < 0 ? new Node.Operand.Variable(t.text(), List.of())
                            : new Node.Operand.Variable(t.text().substring(0, dot), chain(t.text().substring(dot + 1), line));
                }
                case STRING -> new Node.Operand.Literal(t.text());
                case NUMBER -> new Node.Operand.Literal(number(t.text(), line));
                case IDENT -> switch (t.text()) {
                    case "true" -> new Node.Operand.Literal(Boolean.TRUE);
                    case "false" -> new Node.Operand.Literal(Boolean.FALSE);
                    case "nil" -> new Node.Operand.Literal(null);
                    default -> {
                        if (!Functions.exists(t.text())) {
                            throw new GoTemplateException(line, "function \"" + t.text() + "\" not defined");
                        }
                        yield new Node.Operand.Function(t.text());
                    }
                };
                case LPAREN -> {
                    final Node.Pipeline p = subPipeline(toks, pos, line);
                    List<String> chain = List.of();
                    if (pos[0] < toks.size() && toks.get(pos[0]).kind() == Kind.FIELD && !toks.get(pos[0]).spaced()) {
                        chain = chain(toks.get(pos[0]).text().substring(1), line);
                        pos[0]++;
                    }
                    yield new Node.Operand.Sub(p, chain);
                }
                default -> throw new GoTemplateException(line, "unexpected \"" + t.text() + "\" in command");
            };
            ops.add(op);
        }
        if (ops.isEmpty()) {
            throw new GoTemplateException(line, "missing value for command");
        }
        return new Node.Command(List.copyOf(ops), line);
    }

    private static List<String> chain(final String dotted, final int line) {
        if (dotted.isEmpty()) {
            return List.of();
        }
        final List<String> out = new ArrayList<>();
        for (String part : dotted.split("\\.", -1)) {
            if (part.isEmpty()) {
                throw new GoTemplateException(line, "bad field name in ." + dotted);
            }
            out.add(part);
        }
        return List.copyOf(out);
    }

    private static Object number(final String text, final int line) {
        try {
            if (text.matches("[+-]?\\d+")) {
                return Long.parseLong(text);
            }
            if (text.matches("[+-]?0[xX][0-9a-fA-F]+")) {
                return Long.decode(text);
            }
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new GoTemplateException(line, "bad number syntax: " + text);
        }
    }
}
