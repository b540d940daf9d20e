package io.strata.model.chat;

/**
 * Rewrites a Jinja template where Jinjava parses the same text differently from Jinja2. Two fixes, applied only
 * inside {@code {{ }}} and {@code {% %}} (never to text, comments, string literals or {@code raw} blocks):
 *
 * <p><b>Precedence of {@code not}.</b> In Jinja2 (as in Python) {@code not} binds more loosely than comparisons and
 * membership, and more tightly than {@code and}/{@code or}: {@code not a == b} is {@code not (a == b)} and
 * {@code not 'x' in s} is {@code not ('x' in s)}. Jinjava's expression language binds {@code not} to the nearest
 * operand, so both come out wrong (or as a coercion error), and its "natural precedence" option breaks
 * {@code not x is defined} instead.
 * Real templates use all three forms (Llama 3.1's {@code not message.tool_calls|length == 1}, Llama 3.2's
 * {@code not tools_in_user_message is defined}). So every {@code not} operator gets its operand
 * parenthesized up to the next {@code and}, {@code or}, {@code if}, {@code else}, comma or closing bracket at the
 * same depth; {@code is not} and {@code not in} are left alone.
 *
 * <p><b>Nested closing braces.</b> Jinjava ends an expression at the first <code>}}</code> outside quotes, so
 * <code>{{ {'a': {'b': 1}} }}</code> is cut short; Jinja2 counts brackets. Such inner <code>}}</code> become
 * <code>} }</code>.
 */
final class Jinja2Syntax {
    private Jinja2Syntax() {
    }

    /** The template with both fixes applied; everything else is copied unchanged. */
    static String adapt(final String source) {
        final StringBuilder out = new StringBuilder(source.length() + 16);
        int i = 0;
        while (i < source.length()) {
            final int open = nextOpening(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            out.append(source, i, open + 2);
            final char kind = source.charAt(open + 1);
            if (kind == '#') {
                final int end = source.indexOf("#}", open + 2);
                final int stop = end < 0 ? source.length() : end + 2;
                out.append(source, open + 2, stop);
                i = stop;
                continue;
            }
            final String closer = kind == '{' ? "}}" : "%}";
            final int close = findCloser(source, open + 2, closer);
            if (close < 0) { // unterminated: leave it for Jinjava to report
                out.append(source, open + 2, source.length());
                break;
            }
            final String code = source.substring(open + 2, close);
            if (kind == '%' && isRawTag(code)) {
                final int endRaw = findEndRaw(source, close + 2);
                out.append(code).append(source, close, endRaw);
                i = endRaw;
                continue;
            }
            out.append(separateClosingBraces(rewriteNot(code))).append(closer);
            i = close + 2;
        }
        return out.toString();
    }

    private static int nextOpening(final String s, final int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            final char next = s.charAt(i + 1);
            if (next == '{' || next == '%' || next == '#') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Index of the closing delimiter at bracket depth zero, skipping string literals (Qwen's templates put "}}"
     * inside strings, and a dict literal can end in "}}").
     */
    private static int findCloser(final String s, final int from, final String closer) {
        int depth = 0;
        int i = from;
        while (i < s.length()) {
            final char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
                continue;
            }
            if (depth == 0 && s.startsWith(closer, i)) {
                return i;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            }
            i++;
        }
        return -1;
    }

    /** Index just past the string literal starting at {@code start} (backslash escapes honoured). */
    private static int skipString(final String s, final int start) {
        final char quote = s.charAt(start);
        int i = start + 1;
        while (i < s.length() && s.charAt(i) != quote) {
            i += s.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i + 1, s.length());
    }

    private static boolean isRawTag(final String code) {
        return stripDashes(code).equals("raw");
    }

    private static int findEndRaw(final String s, final int from) {
        int i = from;
        while (true) {
            final int open = s.indexOf("{%", i);
            if (open < 0) {
                return s.length();
            }
            final int close = s.indexOf("%}", open + 2);
            if (close < 0) {
                return s.length();
            }
            if (stripDashes(s.substring(open + 2, close)).equals("endraw")) {
                return open;
            }
            i = close + 2;
        }
    }

    private static String stripDashes(final String code) {
        String t = code.strip();
        if (t.startsWith("-") || t.startsWith("+")) {
            t = t.substring(1);
        }
        if (t.endsWith("-") || t.endsWith("+")) {
            t = t.substring(0, t.length() - 1);
        }
        return t.strip();
    }

    /** Inserts a space between two closing braces outside string literals (the code is one tag's inside). */
    static String separateClosingBraces(final String code) {
        if (!code.contains("}}")) {
            return code;
        }
        final StringBuilder out = new StringBuilder(code.length() + 4);
        int i = 0;
        while (i < code.length()) {
            final char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                final int end = skipString(code, i);
                out.append(code, i, end);
                i = end;
                continue;
            }
            out.append(c);
            if (c == '}' && i + 1 < code.length() && code.charAt(i + 1) == '}') {
                out.append(' ');
            }
            i++;
        }
        return out.toString();
    }

    /** Parenthesizes the operand of every {@code not} operator in one tag's code. */
    static String rewriteNot(final String code) {
        String current = code;
        int from = 0;
        while (true) {
            final int not = findNotOperator(current, from);
            if (not < 0) {
                return current;
            }
            final int operandStart = skipSpaces(current, not + 3);
            final int operandEnd = operandEnd(current, operandStart);
            if (operandEnd <= operandStart) {
                from = not + 3;
                continue;
            }
            final String operand = current.substring(operandStart, operandEnd);
            final String trimmed = operand.stripTrailing();
            current = current.substring(0, operandStart) + '(' + trimmed + ')'
                    + operand.substring(trimmed.length()) + current.substring(operandEnd);
            from = not + 3;
        }
    }

    /** Next {@code not} keyword at or after {@code from} that is the unary operator (not "is not", not "not in"). */
    private static int findNotOperator(final String code, final int from) {
        int i = from;
        String previousWord = null;
        while (i < code.length()) {
            final char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(code, i);
                previousWord = null;
            } else if (Character.isLetter(c) || c == '_') {
                final int end = wordEnd(code, i);
                final String word = code.substring(i, end);
                if (word.equals("not") && !"is".equals(previousWord) && !"in".equals(nextWord(code, end))
                        && !precededByDot(code, i)) {
                    return i;
                }
                previousWord = word;
                i = end;
            } else {
                if (!Character.isWhitespace(c)) {
                    previousWord = null;
                }
                i++;
            }
        }
        return -1;
    }

    private static boolean precededByDot(final String code, final int i) {
        int j = i - 1;
        while (j >= 0 && Character.isWhitespace(code.charAt(j))) {
            j--;
        }
        return j >= 0 && code.charAt(j) == '.';
    }

    private static String nextWord(final String code, final int from) {
        final int start = skipSpaces(code, from);
        return code.substring(start, wordEnd(code, start));
    }

    /** End of the identifier or keyword starting at {@code start}. */
    private static int wordEnd(final String code, final int start) {
        int end = start;
        while (end < code.length() && (Character.isLetterOrDigit(code.charAt(end)) || code.charAt(end) == '_')) {
            end++;
        }
        return end;
    }

    private static int skipSpaces(final String code, final int from) {
        int i = from;
        while (i < code.length() && Character.isWhitespace(code.charAt(i))) {
            i++;
        }
        return i;
    }

    /**
     * End of {@code not}'s operand: the first {@code and}/{@code or}/{@code if}/{@code else} keyword, comma or
     * unmatched closing bracket at depth zero, or a trailing whitespace-control dash, or the end of the code.
     */
    private static int operandEnd(final String code, final int start) {
        int depth = 0;
        int i = start;
        while (i < code.length()) {
            final char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(code, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return i;
                }
                depth--;
            } else if (depth == 0 && c == ',') {
                return i;
            } else if (depth == 0 && (c == '-' || c == '+') && code.substring(i + 1).isBlank()) {
                return i; // the "-" of "-%}" / "-}}"
            } else if (Character.isLetter(c) || c == '_') {
                final int end = wordEnd(code, i);
                final String word = code.substring(i, end);
                if (depth == 0 && !precededByDot(code, i) && (word.equals("and") || word.equals("or")
                        || word.equals("if") || word.equals("else"))) {
                    return i;
                }
                i = end;
                continue;
            }
            i++;
        }
        return code.length();
    }
}
