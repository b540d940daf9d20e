package io.strata.model.modelfile;

import io.strata.model.gotemplate.GoTemplate;
import io.strata.model.gotemplate.GoTemplateException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Parses Ollama's Modelfile syntax (ollama {@code parser/parser.go}, protocols.md 3.1): one
 * {@code INSTRUCTION arguments} per line, instruction names case-insensitive, {@code #} at the start of a line a
 * comment; an argument is bare text to the end of the line, {@code "quoted"} on one line, or a
 * {@code """triple-quoted"""} block that may span lines. Every error names its line.
 */
public final class ModelfileParser {
    private static final String TRIPLE = "\"\"\"";
    private static final List<String> ROLES = List.of("system", "user", "assistant");

    private final String text;
    private final Path baseDir;
    private int pos;
    private int line = 1;

    private ModelfileParser(final String text, final Path baseDir) {
        this.text = text.replace("\r\n", "\n");
        this.baseDir = baseDir;
    }

    /**
     * Parses a Modelfile; relative FROM paths are resolved against {@code baseDir} (the Modelfile's folder).
     *
     * @throws ModelfileException naming the line of the first problem
     */
    public static Modelfile parse(final String text, final Path baseDir) {
        return new ModelfileParser(text, baseDir).parse();
    }

    private Modelfile parse() {
        Modelfile.From from = null;
        final Map<String, Object> params = new TreeMap<>();
        Modelfile.Text template = null;
        Modelfile.Text system = null;
        final List<Modelfile.Message> messages = new ArrayList<>();
        final List<Modelfile.Text> licenses = new ArrayList<>();
        while (skipBlankAndComments()) {
            final int at = line;
            final String word = word();
            switch (word.toUpperCase(Locale.ROOT)) {
                case "FROM" -> {
                    final String v = requireValue("FROM", at, "a GGUF file, a model name, a directory or a pull reference");
                    if (from != null) {
                        throw new ModelfileException(at, "a second FROM (the first is on line " + from.line() + ")");
                    }
                    from = classifyFrom(v, at);
                }
                case "PARAMETER" -> {
                    final String name = word();
                    if (name.isEmpty()) {
                        throw new ModelfileException(at, "PARAMETER needs a name and a value");
                    }
                    final Parameter p = parameter(name, at);
                    final String v = value();
                    if (v.isEmpty()) {
                        throw new ModelfileException(at, "PARAMETER " + name + " needs a value");
                    }
                    try {
                        final Object typed = p.parse(v);
                        if (p.kind() == Parameter.Kind.STRINGS) {
                            @SuppressWarnings("unchecked")
                            final List<String> list = (List<String>) params.computeIfAbsent(p.ollamaName(), k -> new ArrayList<String>());
                            list.add((String) typed);
                        } else {
                            params.put(p.ollamaName(), typed);
                        }
                    } catch (IllegalArgumentException e) {
                        throw new ModelfileException(at, "PARAMETER " + e.getMessage());
                    }
                }
                case "TEMPLATE" -> {
                    template = new Modelfile.Text(requireValue("TEMPLATE", at, "a template"), at);
                    try {
                        GoTemplate.parse(template.value());
                    } catch (GoTemplateException e) {
                        throw new ModelfileException(at + e.line() - 1, "TEMPLATE does not parse: " + e.getMessage());
                    }
                }
                case "SYSTEM" -> system = new Modelfile.Text(requireValue("SYSTEM", at, "the system prompt"), at);
                case "LICENSE" -> licenses.add(new Modelfile.Text(requireValue("LICENSE", at, "the license text"), at));
                case "MESSAGE" -> {
                    final String role = word().toLowerCase(Locale.ROOT);
                    if (!ROLES.contains(role)) {
                        throw new ModelfileException(at, role.isEmpty() ? "MESSAGE needs a role and a text"
                                : "MESSAGE role '" + role + "' is not one of " + String.join(", ", ROLES));
                    }
                    messages.add(new Modelfile.Message(role, requireValue("MESSAGE " + role, at, "the message text")));
                }
                case "ADAPTER" -> throw new ModelfileException(at, "ADAPTER is not supported: Strata cannot apply LoRA"
                        + " adapters yet; merge the adapter into the weights first (llama.cpp's llama-export-lora) and"
                        + " name the merged GGUF in FROM");
                case "REQUIRES", "RENDERER", "PARSER", "DRAFT" -> throw new ModelfileException(at,
                        word.toUpperCase(Locale.ROOT) + " is not supported by Strata yet");
                default -> throw new ModelfileException(at, "unknown instruction '" + word
                        + "' (expected FROM, PARAMETER, TEMPLATE, SYSTEM, MESSAGE, LICENSE or ADAPTER)");
            }
        }
        if (from == null) {
            throw new ModelfileException(0, "no FROM instruction (every Modelfile names its base model or GGUF file)");
        }
        @SuppressWarnings("unchecked")
        final Map<String, Object> frozen = new TreeMap<>(params);
        frozen.replaceAll((k, v) -> v instanceof List<?> l ? List.copyOf((List<String>) l) : v);
        return new Modelfile(from, new ModelParameters(new TreeMap<>(frozen)), Optional.ofNullable(template),
                Optional.ofNullable(system), messages, licenses);
    }

    private static Parameter parameter(final String name, final int at) {
        return Parameter.byName(name).orElseThrow(() -> new ModelfileException(at,
                Parameter.OLLAMA_ONLY.contains(name.toLowerCase(Locale.ROOT))
                        ? "PARAMETER " + name + " is an Ollama option Strata does not apply (supported: "
                        + Parameter.names() + ")"
                        : "unknown PARAMETER '" + name + "' (supported: " + Parameter.names() + ")"));
    }

    private Modelfile.From classifyFrom(final String value, final int at) {
        if (SCHEME.matcher(value).lookingAt()) {
            return new Modelfile.From.Pull(value, at); // checked and pulled when the model is created
        }
        final String expanded = value.startsWith("~/") ? System.getProperty("user.home") + value.substring(1) : value;
        final Path p = baseDir.resolve(expanded);
        if (Files.isRegularFile(p)) {
            return new Modelfile.From.File(p, at);
        }
        if (Files.isDirectory(p)) {
            return new Modelfile.From.Directory(p, at);
        }
        if (value.startsWith("/") || value.startsWith("./") || value.startsWith("../") || value.startsWith("~")
                || value.contains("\\")) {
            throw new ModelfileException(at, "FROM " + value + ": no such file or directory (looked for " + p + ")");
        }
        return new Modelfile.From.Reference(value, at);
    }

    /** The start of a URL-like reference ({@code hf://}, {@code oci://}, ...): never a file name. */
    private static final java.util.regex.Pattern SCHEME = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");

    private String requireValue(final String what, final int at, final String expected) {
        final String v = value();
        if (v.isEmpty()) {
            throw new ModelfileException(at, what + " needs an argument (" + expected + ")");
        }
        return v;
    }

    /** Skips blank lines and comment lines; false at the end of the text. */
    private boolean skipBlankAndComments() {
        while (pos < text.length()) {
            final char c = text.charAt(pos);
            if (c == '\n') {
                line++;
                pos++;
            } else if (c == ' ' || c == '\t') {
                pos++;
            } else if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else {
                return true;
            }
        }
        return false;
    }

    /** The next run of non-blank characters on this line (possibly empty), then the spaces after it. */
    private String word() {
        final int start = pos;
        while (pos < text.length() && !Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
        final String w = text.substring(start, pos);
        skipSpaces();
        return w;
    }

    private void skipSpaces() {
        while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
            pos++;
        }
    }

    /** The rest of the instruction: a triple-quoted block, a quoted string, or the line's remaining text. */
    private String value() {
        skipSpaces();
        final int startLine = line;
        final String v;
        if (text.startsWith(TRIPLE, pos)) {
            final int end = text.indexOf(TRIPLE, pos + 3);
            if (end < 0) {
                throw new ModelfileException(startLine, "the \"\"\" opened here is never closed");
            }
            v = text.substring(pos + 3, end);
            line += (int) v.chars().filter(ch -> ch == '\n').count();
            pos = end + 3;
            requireEndOfLine(startLine, "\"\"\"");
        } else if (pos < text.length() && text.charAt(pos) == '"') {
            final StringBuilder b = new StringBuilder();
            pos++;
            while (true) {
                if (pos >= text.length() || text.charAt(pos) == '\n') {
                    throw new ModelfileException(startLine, "the quote opened here is not closed on the same line"
                            + " (use \"\"\" for text over several lines)");
                }
                final char c = text.charAt(pos++);
                if (c == '"') {
                    break;
                }
                if (c == '\\' && pos < text.length() && (text.charAt(pos) == '"' || text.charAt(pos) == '\\')) {
                    b.append(text.charAt(pos++));
                } else {
                    b.append(c);
                }
            }
            v = b.toString();
            requireEndOfLine(startLine, "the closing quote");
        } else {
            final int start = pos;
            while (pos < text.length() && text.charAt(pos) != '\n') {
                pos++;
            }
            v = text.substring(start, pos).strip();
        }
        return v;
    }

    private void requireEndOfLine(final int at, final String after) {
        skipSpaces();
        if (pos < text.length() && text.charAt(pos) != '\n') {
            final int eol = text.indexOf('\n', pos);
            throw new ModelfileException(line, "unexpected text after " + after + ": '"
                    + text.substring(pos, eol < 0 ? text.length() : eol) + "'"
                    + (line != at ? " (the argument starts on line " + at + ")" : ""));
        }
    }
}
