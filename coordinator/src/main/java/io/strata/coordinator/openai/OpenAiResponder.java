package io.strata.coordinator.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.Ids;
import io.strata.coordinator.api.Responses;
import io.strata.coordinator.generation.ChoiceSink;
import io.strata.coordinator.generation.LogprobEntry;
import io.strata.coordinator.metrics.ServingMetrics;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns the choices of one completions or chat-completions request into OpenAI's response: one JSON object at the
 * end, or server-sent events ({@code data: chunk} lines, an optional usage chunk, then {@code data: [DONE]}).
 */
final class OpenAiResponder implements ChoiceSink {
    enum Kind { COMPLETION, CHAT }

    private final Kind kind;
    private final RoutingContext rc;
    private final ServingMetrics metrics;
    private final String id;
    private final String model;
    private final long created;
    private final boolean stream;
    private final boolean includeUsage;
    private final long arrivalNanos;
    private final Choice[] choices;
    private int open;
    private boolean failed;
    private int[] promptGroup;
    private boolean tokenIds;

    private static final class Choice {
        final StringBuilder text = new StringBuilder();
        final List<LogprobEntry> logprobs = new ArrayList<>();
        final boolean wantLogprobs;
        String finishReason;
        int promptTokens;
        int completionTokens;
        boolean sentRole;
        String prefix = "";   // echo: the prompt text, sent before the first chunk

        Choice(boolean wantLogprobs) {
            this.wantLogprobs = wantLogprobs;
        }
    }

    OpenAiResponder(Kind kind, RoutingContext rc, ServingMetrics metrics, String model, boolean stream,
                    boolean includeUsage, boolean[] wantLogprobs, long arrivalNanos) {
        this.kind = kind;
        this.rc = rc;
        this.metrics = metrics;
        this.id = (kind == Kind.CHAT ? "chatcmpl-" : "cmpl-") + Ids.random();
        this.model = model;
        this.created = System.currentTimeMillis() / 1000;
        this.stream = stream;
        this.includeUsage = includeUsage;
        this.arrivalNanos = arrivalNanos;
        this.choices = new Choice[wantLogprobs.length];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice(wantLogprobs[i]);
        }
        this.open = choices.length;
    }

    /**
     * vLLM's {@code return_tokens_as_token_ids}: log-probabilities name tokens as {@code token_id:N}, so a client
     * can tell tokens apart whose text is the same or not valid UTF-8 alone.
     */
    void tokensAsIds(boolean on) {
        this.tokenIds = on;
    }

    private String name(int id, String text) {
        return tokenIds ? "token_id:" + id : text;
    }

    /** Echo: text that precedes choice i's completion. */
    void echo(int i, String prompt) {
        choices[i].prefix = prompt;
    }

    /** Sends the response head of a stream (before any token, so a client sees 200 at once). */
    void begin() {
        HttpServerResponse r = rc.response();
        r.putHeader("x-request-id", id);
        if (stream) {
            r.setStatusCode(200).setChunked(true)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache");
            r.write("");
            for (int i = 0; i < choices.length; i++) {
                if (kind == Kind.CHAT) {
                    ObjectNode delta = Responses.object();
                    delta.put("role", "assistant");
                    delta.put("content", "");
                    choices[i].sentRole = true;
                    send(chunk(i, delta, null, null));
                } else if (!choices[i].prefix.isEmpty()) {
                    send(chunk(i, textNode(choices[i].prefix), null, null));
                }
            }
        }
    }

    @Override
    public void onText(int i, String text, List<LogprobEntry> logprobs) {
        Choice c = choices[i];
        c.text.append(text);
        if (c.wantLogprobs) {
            c.logprobs.addAll(logprobs);
        }
        if (stream && !failed) {
            send(chunk(i, kind == Kind.CHAT ? contentDelta(text) : textNode(text),
                    c.wantLogprobs ? logprobsNode(logprobs) : null, null));
        }
    }

    @Override
    public void onEnd(int i, String finishReason, int promptTokens, int completionTokens) {
        Choice c = choices[i];
        c.finishReason = finishReason;
        c.promptTokens = promptTokens;
        c.completionTokens = completionTokens;
        if (stream && !failed && !"abort".equals(finishReason)) {
            send(chunk(i, kind == Kind.CHAT ? Responses.object() : textNode(""), null, finishReason));
        }
        if (--open == 0) {
            complete();
        }
    }

    @Override
    public void onError(int i, ApiException error) {
        if (failed) {
            return;
        }
        failed = true;
        metrics.requestFailed(error.status());
        if (stream) {
            send(Responses.openAiErrorBody(error));
            rc.response().write("data: [DONE]\n\n");
            rc.response().end();
        } else {
            Responses.openAiError(rc, error);
        }
    }

    private void complete() {
        if (failed) {
            return;
        }
        String reason = choices[0].finishReason;
        if ("abort".equals(reason)) {
            metrics.requestSucceeded("abort");
            return; // the client is gone
        }
        metrics.requestSucceeded(reason);
        metrics.requestLatency(System.nanoTime() - arrivalNanos);
        if (stream) {
            if (includeUsage) {
                ObjectNode u = base();
                u.putArray("choices");
                u.set("usage", usage());
                send(u);
            }
            rc.response().write("data: [DONE]\n\n");
            rc.response().end();
            return;
        }
        ObjectNode body = base();
        ArrayNode arr = body.putArray("choices");
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            ObjectNode ch = arr.addObject();
            ch.put("index", i);
            if (kind == Kind.CHAT) {
                ObjectNode msg = ch.putObject("message");
                msg.put("role", "assistant");
                msg.put("content", c.text.toString());
                msg.putNull("refusal");
            } else {
                ch.put("text", c.prefix + c.text);
            }
            if (c.wantLogprobs) {
                ch.set("logprobs", logprobsNode(c.logprobs));
            } else {
                ch.putNull("logprobs");
            }
            ch.put("finish_reason", c.finishReason);
        }
        body.set("usage", usage());
        Responses.json(rc, 200, body);
    }

    private ObjectNode base() {
        ObjectNode o = Responses.object();
        o.put("id", id);
        o.put("object", kind == Kind.CHAT ? (stream ? "chat.completion.chunk" : "chat.completion") : "text_completion");
        o.put("created", created);
        o.put("model", model);
        o.putNull("system_fingerprint");
        return o;
    }

    private ObjectNode chunk(int i, ObjectNode deltaOrText, ObjectNode logprobs, String finishReason) {
        ObjectNode o = base();
        ObjectNode ch = o.putArray("choices").addObject();
        ch.put("index", i);
        if (kind == Kind.CHAT) {
            ch.set("delta", deltaOrText);
        } else {
            ch.put("text", deltaOrText.get("text").textValue());
        }
        if (logprobs == null) {
            ch.putNull("logprobs");
        } else {
            ch.set("logprobs", logprobs);
        }
        ch.put("finish_reason", finishReason);
        if (includeUsage) {
            o.putNull("usage");
        }
        return o;
    }

    private ObjectNode contentDelta(String text) {
        ObjectNode d = Responses.object();
        d.put("content", text);
        return d;
    }

    private static ObjectNode textNode(String text) {
        ObjectNode d = Responses.object();
        d.put("text", text);
        return d;
    }

    private ObjectNode usage() {
        int prompt = 0;
        int completion = 0;
        // every choice of one prompt shares its prompt tokens: count each prompt once (n choices per prompt)
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < choices.length; i++) {
            completion += choices[i].completionTokens;
            if (promptGroup != null && !seen.add(promptGroup[i])) {
                continue;
            }
            prompt += choices[i].promptTokens;
        }
        ObjectNode u = Responses.object();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    /** Which prompt each choice belongs to, so usage counts a prompt once however many choices it has. */
    void promptGroups(int[] groups) {
        this.promptGroup = groups;
    }

    private ObjectNode logprobsNode(List<LogprobEntry> entries) {
        ObjectNode o = Responses.object();
        if (kind == Kind.CHAT) {
            ArrayNode content = o.putArray("content");
            for (LogprobEntry e : entries) {
                ObjectNode t = content.addObject();
                t.put("token", name(e.id(), e.token()));
                t.put("logprob", e.logprob());
                bytes(t.putArray("bytes"), e.bytes());
                ArrayNode top = t.putArray("top_logprobs");
                for (LogprobEntry.Alternative a : e.top()) {
                    ObjectNode x = top.addObject();
                    x.put("token", name(a.id(), a.token()));
                    x.put("logprob", a.logprob());
                    bytes(x.putArray("bytes"), a.bytes());
                }
            }
            o.putNull("refusal");
        } else {
            ArrayNode tokens = o.putArray("tokens");
            ArrayNode values = o.putArray("token_logprobs");
            ArrayNode tops = o.putArray("top_logprobs");
            ArrayNode offsets = o.putArray("text_offset");
            int offset = 0;
            for (LogprobEntry e : entries) {
                tokens.add(name(e.id(), e.token()));
                values.add(e.logprob());
                ObjectNode top = tops.addObject();
                for (LogprobEntry.Alternative a : e.top()) {
                    top.put(name(a.id(), a.token()), a.logprob());
                }
                offsets.add(offset);
                offset += e.token().length();
            }
        }
        return o;
    }

    private static void bytes(ArrayNode arr, byte[] b) {
        for (byte x : b) {
            arr.add(x & 0xFF);
        }
    }

    private void send(ObjectNode chunk) {
        HttpServerResponse r = rc.response();
        if (!r.ended() && !r.closed()) {
            r.write("data: " + Responses.compact(chunk) + "\n\n");
        }
    }
}
