package io.strata.model.gotemplate;

import io.strata.model.chat.ChatMessage;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's prompt template run the way Ollama runs it ({@code template/template.go}, protocols.md 3.3):
 * <ol>
 *   <li>consecutive messages of one role (except tool) are merged with a blank line, and {@code .System} is every
 *       system message joined with blank lines;</li>
 *   <li>a template that uses {@code .Messages} runs once with System and Messages;</li>
 *   <li>otherwise (legacy) it runs once per system/user/assistant turn with {@code .System}, {@code .Prompt} and
 *       {@code .Response}, and the last turn is cut after {@code .Response} so that generation continues there;</li>
 *   <li>a template that uses neither {@code .Messages} nor {@code .Response} gets {@code {{ .Response }}} appended.</li>
 * </ol>
 */
public final class OllamaTemplate {
    /** What Ollama gives an imported model without a template. */
    public static final String DEFAULT = "{{ .Prompt }}";

    private final GoTemplate template;
    private final GoTemplate lastTurn;
    private final boolean usesMessages;

    private OllamaTemplate(final GoTemplate template) {
        final boolean messages = template.mentions("Messages");
        final List<Node> nodes = new ArrayList<>(template.nodes());
        if (!messages && !template.mentions("Response")) {
            nodes.add(new Node.Action(new Node.Pipeline(List.of(), false, List.of(new Node.Command(
                    List.of(new Node.Operand.Field(List.of("Response"))), 0)), 0), 0));
        }
        this.template = new GoTemplate(template.source(), List.copyOf(nodes));
        this.lastTurn = new GoTemplate(template.source(), Nodes.cutAfterResponse(nodes));
        this.usesMessages = messages;
    }

    /** Parses a template; a {@link GoTemplateException} names the line of the first problem. */
    public static OllamaTemplate parse(final String source) {
        return new OllamaTemplate(GoTemplate.parse(source));
    }

    public String source() { return template.source(); }

    public String render(final List<ChatMessage> messages) {
        return render(messages, Clock.systemDefaultZone());
    }

    /** The prompt for a conversation; {@code currentDate} reads {@code clock}. */
    public String render(final List<ChatMessage> messages, final Clock clock) {
        final List<String> system = new ArrayList<>();
        final List<ChatMessage> collated = new ArrayList<>();
        for (ChatMessage m : messages) {
            if (m.role().equals("system")) {
                system.add(m.content());
            }
            if (!collated.isEmpty() && collated.getLast().role().equals(m.role()) && !m.role().equals("tool")) {
                final ChatMessage last = collated.removeLast();
                collated.add(new ChatMessage(last.role(), last.content() + "\n\n" + m.content()));
            } else {
                collated.add(m);
            }
        }
        if (usesMessages) {
            final List<Map<String, Object>> list = new ArrayList<>();
            for (ChatMessage m : collated) {
                final Map<String, Object> o = new LinkedHashMap<>();
                o.put("Role", m.role());
                o.put("Content", m.content());
                list.add(o);
            }
            final Map<String, Object> data = new LinkedHashMap<>();
            data.put("System", String.join("\n\n", system));
            data.put("Messages", list);
            data.put("Response", "");
            return template.render(data, clock);
        }
        final StringBuilder out = new StringBuilder();
        String sys = "";
        String prompt = "";
        String response = "";
        for (ChatMessage m : collated) {
            switch (m.role()) {
                case "system" -> {
                    if (!prompt.isEmpty() || !response.isEmpty()) {
                        out.append(template.render(turn(sys, prompt, response), clock));
                        prompt = "";
                        response = "";
                    }
                    sys = m.content();
                }
                case "user" -> {
                    if (!response.isEmpty()) {
                        out.append(template.render(turn(sys, prompt, response), clock));
                        sys = "";
                        response = "";
                    }
                    prompt = m.content();
                }
                case "assistant" -> response = m.content();
                default -> { } // tool results have no place in a legacy template
            }
        }
        return out.append(lastTurn.render(turn(sys, prompt, response), clock)).toString();
    }

    private static Map<String, Object> turn(final String system, final String prompt, final String response) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("System", system);
        m.put("Prompt", prompt);
        m.put("Response", response);
        return m;
    }
}
