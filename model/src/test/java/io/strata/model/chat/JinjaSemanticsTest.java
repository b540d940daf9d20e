package io.strata.model.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Single constructs where Jinjava differs from Jinja2 unless {@link JinjaEngine} and {@link Jinja2Syntax} step in.
 * Expected values come from python-jinja2 3.1.6 in transformers' configuration.
 */
class JinjaSemanticsTest {
    private static final Clock FIXED_CLOCK = Clock.fixed(Instant.parse("2025-02-03T14:05:09Z"), ZoneOffset.UTC);

    private static String render(final String template, final Map<String, ?> variables) {
        return ChatTemplate.jinja(template, FIXED_CLOCK).render(List.of(), true, "", "", variables);
    }

    private static Map<String, Object> variables() {
        final Map<String, Object> vars = new HashMap<>();
        vars.put("d", "x");
        vars.put("t", List.of(1, 2));
        vars.put("m", Map.of("role", "user", "content", "abc"));
        vars.put("s", "  Hello World \n");
        return vars;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '"', textBlock = """
            not d is defined                                    => F
            not u is defined                                    => T
            not d is string                                     => F
            not d is none                                       => T
            not 1 == 2                                          => T
            not t|length == 1                                   => T
            not 'x' in t                                        => T
            not 1 in t                                          => F
            'x' not in t                                        => T
            not d and true                                      => F
            not u or false                                      => T
            d is defined and u is not defined                   => T
            t|length > 1 and not u                              => T
            (1 == 1) != (2 == 3)                                => T
            1 == 1 and not 2 == 3                               => T
            not (d == 'x')                                      => F
            d is not none and d != 'y'                          => T
            not not d                                           => T
            not(d == 'y')                                       => T
            m.role == 'user' and not m.content.startswith('x')  => T
            not m['role'] in ['system', 'tool']                 => T
            """)
    void conditionsFollowJinja2Precedence(final String condition, final String expected) {
        assertEquals(expected, render("{% if " + condition + " %}T{% else %}F{% endif %}", variables()));
    }

    @Test
    void pythonStringMethods() {
        assertEquals("Hello World|Hello World \n|  Hello World|a",
                render("{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}", variables()));
        assertEquals("2|a/b//c|c|b c", render("{{ s.split() | length }}|{{ 'a,b,,c'.split(',') | join('/') }}|"
                + "{{ 'a<think>b</think>c'.split('</think>')[-1] }}|{{ 'a b c'.split(' ', 1)[1] }}", variables()));
        assertEquals("  HELLO WORLD \n|abc|Hello World|Hello", render(
                "{{ s.upper() }}|{{ 'AbC'.lower() }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}",
                variables()));
        assertEquals("T|T|bba|2|2|a-b", render("{% if 'abc'.startswith('ab') %}T{% endif %}|"
                + "{% if 'abc'.endswith('bc') %}T{% endif %}|{{ 'aaa'.replace('a', 'b', 2) }}|"
                + "{{ 'abcabc'.find('c') }}|{{ 'abcabc'.count('bc') }}|{{ '-'.join(['a', 'b']) }}", variables()));
    }

    @Test
    void tojsonMatchesTransformersJsonDumps() {
        assertEquals("{\"name\": \"f\", \"args\": {\"x\": 1.5, \"y\": [1, \"two\", null, true]}}",
                render("{{ {'name': 'f', 'args': {'x': 1.5, 'y': [1, 'two', none, true]}} | tojson }}", Map.of()));
        assertEquals("{\n  \"b\": 1,\n  \"a\": {\n    \"c\": []\n  }\n}",
                render("{{ {'b': 1, 'a': {'c': []}} | tojson(indent=2) }}", Map.of()));
        assertEquals("[0.0001, 1e-05, 1e+16, 123.0, -2.5e-07, \"\u00e9\\\"\\n\"]", render("{{ values | tojson }}",
                Map.of("values", Arrays.asList(0.0001, 0.00001, 1e16, 123.0, -2.5e-7, "\u00e9\"\n"))));
    }

    @Test
    void iteratingADictYieldsKeys() {
        assertEquals("ab", render("{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}", Map.of()));
    }

    @Test
    void strftimeNowFormatsLikePython() {
        assertEquals("2025-02-03 14:05:09 Mon Monday Feb February 034 PM 02 25 3  3|%",
                render("{{ strftime_now('%Y-%m-%d %H:%M:%S %a %A %b %B %j %p %I %y %-d %e|%%') }}", Map.of()));
    }

    @Test
    void syntaxAdaptationLeavesStringsCommentsAndTestsAlone() {
        assertEquals("{{ 'not a == b' }}{# not a == b #}{% if x is not none and y not in z %}",
                Jinja2Syntax.adapt("{{ 'not a == b' }}{# not a == b #}{% if x is not none and y not in z %}"));
        assertEquals("{%- if not (a.b|length == 1) or c -%}",
                Jinja2Syntax.adapt("{%- if not a.b|length == 1 or c -%}"));
        assertEquals("{{ '}}' if not (x) else 'y' }}", Jinja2Syntax.adapt("{{ '}}' if not x else 'y' }}"));
        assertEquals("{{ {'a': {'b': 1} } }}", Jinja2Syntax.adapt("{{ {'a': {'b': 1}} }}"));
    }
}
