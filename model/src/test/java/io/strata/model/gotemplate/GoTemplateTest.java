package io.strata.model.gotemplate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GoTemplateTest {

    /** Ollama's qwen2.5 template (ChatML), tools included, as its library ships it. */
    static final String CHATML = """
            {{- if .Messages }}
            {{- if or .System .Tools }}<|im_start|>system
            {{- if .System }}
            {{ .System }}
            {{- end }}
            {{- if .Tools }}

            # Tools

            You may call one or more functions to assist with the user query.

            You are provided with function signatures within <tools></tools> XML tags:
            <tools>
            {{- range .Tools }}
            {"type": "function", "function": {{ .Function }}}
            {{- end }}
            </tools>
            {{- end }}<|im_end|>
            {{ end }}
            {{- range $i, $_ := .Messages }}
            {{- $last := eq (len (slice $.Messages $i)) 1 -}}
            {{- if eq .Role "user" }}<|im_start|>user
            {{ .Content }}<|im_end|>
            {{ else if eq .Role "assistant" }}<|im_start|>assistant
            {{ if .Content }}{{ .Content }}
            {{- else if .ToolCalls }}<tool_call>
            {{ range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
            {{ end }}</tool_call>
            {{- end }}{{ if not $last }}<|im_end|>
            {{ end }}
            {{- else if eq .Role "tool" }}<|im_start|>user
            <tool_response>
            {{ .Content }}
            </tool_response><|im_end|>
            {{ end }}
            {{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
            {{ end }}
            {{- end }}
            {{- else }}
            {{- if .System }}<|im_start|>system
            {{ .System }}<|im_end|>
            {{ end }}{{ if .Prompt }}<|im_start|>user
            {{ .Prompt }}<|im_end|>
            {{ end }}<|im_start|>assistant
            {{ end }}{{ .Response }}{{ if .Response }}<|im_end|>{{ end }}""";

    /** Ollama's llama3.2 template without the tool branches. */
    static final String LLAMA3 = """
            {{- if .Messages }}
            {{- if .System }}<|start_header_id|>system<|end_header_id|>

            {{ .System }}<|eot_id|>
            {{- end }}
            {{- range $i, $_ := .Messages }}
            {{- $last := eq (len (slice $.Messages $i)) 1 }}
            {{- if eq .Role "user" }}<|start_header_id|>user<|end_header_id|>

            {{ .Content }}<|eot_id|>{{ if $last }}<|start_header_id|>assistant<|end_header_id|>

            {{ end }}
            {{- else if eq .Role "assistant" }}<|start_header_id|>assistant<|end_header_id|>

            {{ .Content }}{{ if not $last }}<|eot_id|>{{ end }}
            {{- end }}
            {{- end }}
            {{- else }}
            {{- if .System }}<|start_header_id|>system<|end_header_id|>

            {{ .System }}<|eot_id|>{{ end }}{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>

            {{ .Prompt }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

            {{ end }}{{ .Response }}{{ if .Response }}<|eot_id|>{{ end }}""";

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Role", role);
        m.put("Content", content);
        return m;
    }

    private static String render(String template, Map<String, ?> data) {
        return GoTemplate.parse(template).render(data);
    }

    private static final List<Map<String, Object>> CONVERSATION = List.of(message("user", "Hi"),
            message("assistant", "Hello!"), message("user", "How are you?"));

    @Test
    void chatMlRendersAConversationAndOpensTheAssistantTurn() {
        String out = render(CHATML, Map.of("System", "You are helpful.", "Messages", CONVERSATION));
        assertEquals("""
                <|im_start|>system
                You are helpful.<|im_end|>
                <|im_start|>user
                Hi<|im_end|>
                <|im_start|>assistant
                Hello!<|im_end|>
                <|im_start|>user
                How are you?<|im_end|>
                <|im_start|>assistant
                """, out);
    }

    @Test
    void chatMlWithoutMessagesUsesTheLegacyPromptBranch() {
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                render(CHATML, Map.of("Prompt", "Hi")));
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>",
                render(CHATML, Map.of("System", "S", "Prompt", "Hi", "Response", "Yo")));
    }

    @Test
    void chatMlRendersToolCallsAndResults() {
        Map<String, Object> call = Map.of("Function", Map.of("Name", "weather", "Arguments", "{\"city\":\"Paris\"}"));
        Map<String, Object> assistant = message("assistant", "");
        assistant.put("ToolCalls", List.of(call));
        String out = render(CHATML, Map.of("Messages", List.of(message("user", "Weather?"), assistant,
                message("tool", "sunny"))));
        assertEquals("""
                <|im_start|>user
                Weather?<|im_end|>
                <|im_start|>assistant
                <tool_call>
                {"name": "weather", "arguments": {"city":"Paris"}}
                </tool_call><|im_end|>
                <|im_start|>user
                <tool_response>
                sunny
                </tool_response><|im_end|>
                <|im_start|>assistant
                """, out);
    }

    @Test
    void llama3RendersHeadersAndEndsWithAnOpenAssistantHeader() {
        String out = render(LLAMA3, Map.of("System", "S", "Messages", CONVERSATION));
        assertEquals("<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    @Test
    void llama3LeavesALastAssistantMessageOpenForContinuation() {
        String out = render(LLAMA3, Map.of("Messages", List.of(message("user", "Hi"), message("assistant", "Hel"))));
        assertEquals("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHel", out);
    }

    @ParameterizedTest(name = "{0} -> [{1}]")
    @CsvSource(delimiter = '|', value = {
            "a  {{- 1 -}}  b|a1b",
            "a  {{-3}}  b|a  -3  b",
            "x{{/* a comment */}}y|xy",
            "{{ or .Nope \"default\" }}|default",
            "{{ and 1 0 }}|0",
            "{{ and 1 \"x\" }}|x",
            "{{ not \"\" }}|true",
            "{{ len \"héllo\" }}|6",
            "{{ eq 2 1 2 }}|true",
            "{{ ne \"a\" \"b\" }}|true",
            "{{ lt 1 2.5 }}|true",
            "{{ print 1 2 \"a\" \"b\" }}|1 2ab",
            "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}|2",
            "{{ range $i, $c := .L }}{{ $i }}={{ $c }};{{ end }}|0=a;1=b;2=c;",
            "{{ range .L }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}|ac",
            "{{ range .L }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}|a",
            "{{ range .Empty }}x{{ else }}none{{ end }}|none",
            "{{ range $k, $v := .M }}{{ $k }}{{ $v }}{{ end }}|a1b2",
            "{{ range 3 }}{{ . }}{{ end }}|012",
            "{{ with .M }}{{ .a }}{{ end }}{{ with .Nope }}x{{ else }}y{{ end }}|1y",
            "{{ if .Nope }}a{{ else if .L }}b{{ else }}c{{ end }}|b",
            "{{ index .L 1 }}{{ index .M \"b\" }}|b2",
            "{{ slice .L 1 }}|[b c]",
            "{{ len (slice .L 1 2) }}|1",
            "{{ (index .Msgs 0).Role }}|user",
            "{{ json .M }}|{\"a\":1,\"b\":2}",
            "{{ range $i, $_ := .L }}{{ if eq (len (slice $.L $i)) 1 }}last:{{ . }}{{ end }}{{ end }}|last:c",
            "{{ \"a\\tb\" }}|a\tb",
            "{{ `raw\\n` }}|raw\\n",
            "{{ currentDate }}|2026-12-01",
    })
    void goSemantics(String template, String expected) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("L", List.of("a", "b", "c"));
        data.put("Empty", List.of());
        data.put("M", new java.util.TreeMap<>(Map.of("b", 2L, "a", 1L)));
        data.put("Msgs", List.of(message("user", "hi")));
        Clock clock = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
        assertEquals(expected, GoTemplate.parse(template).render(data, clock));
    }

    @Test
    void trimmingEatsNewlinesAroundCommentsAndMissingFieldsPrintNothing() {
        assertEquals("xy", render("x \n {{- /* trimmed */ -}} \n y", Map.of()));
        assertEquals("<>", render("<{{ .Nope }}>", Map.of()));
        assertEquals("Bob!", render("{{ \"Bob\" | printf \"%s!\" }}", Map.of()), "a pipe passes the last argument");
        assertEquals("<>", render("<{{ .Nope.Deeper }}>", Map.of()));
        assertEquals("a\n", render("{{ if true -}}\n  a\n{{ end }}", Map.of()), "only the side with the dash");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a\\n{{ if .X }}b|template line 2: unclosed {{if}}",
            "{{ foo }}|template line 1: function \"foo\" not defined",
            "x\\n\\n{{ end }}|template line 3: unexpected {{end}}",
            "{{ .A | }}|missing value for command",
            "{{ .A|template line 1: unclosed action",
            "{{ define \"x\" }}{{ end }}|{{define}} is not supported",
            "{{ (len .A }}|unclosed left paren",
            "{{ if }}{{ end }}|missing value for if",
            "{{ else }}|unexpected {{else}}",
    })
    void syntaxErrorsNameTheLine(String template, String expected) {
        var e = assertThrows(GoTemplateException.class, () -> GoTemplate.parse(template.replace("\\n", "\n")));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "x\\n{{ index .L 5 }}|template line 2: error calling index: index out of range: 5",
            "{{ $nope }}|undefined variable: $nope",
            "{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}|undefined variable: $y",
            "{{ eq .L 1 }}|incompatible types for comparison",
            "{{ .L.Role }}|can't evaluate field Role in type slice",
            "{{ .S 1 }}|can't give argument to non-function .S",
            "{{ len }}|wrong number of args for len",
    })
    void runtimeErrorsNameTheLine(String template, String expected) {
        var t = GoTemplate.parse(template.replace("\\n", "\n"));
        var e = assertThrows(GoTemplateException.class, () -> t.render(Map.of("L", List.of(1L), "S", "s")));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void mentionsTellsMessagesTemplatesFromLegacyOnes() {
        assertTrue(GoTemplate.parse(CHATML).mentions("Messages"));
        assertFalse(GoTemplate.parse("{{ .Prompt }}").mentions("Messages"));
        assertFalse(GoTemplate.parse("{{ .MessagesX }}").mentions("Messages"));
    }
}
