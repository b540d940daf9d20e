package io.strata.cli;

import io.strata.inference.Generator;
import io.strata.inference.LocalModel;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.chat.ChatMessage;
import io.strata.model.chat.ChatTemplate;
import io.strata.coordinator.generation.StopMatcher;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.modelfile.Parameter;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ResolvedModel;
import io.strata.model.tokenizer.Tokenizer;
import io.strata.model.tokenizer.Utf8StreamDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code strata run MODEL [PROMPT]}: streams the generated text (and only that) to stdout. Without a prompt, an
 * interactive chat that uses the model's chat template.
 */
@Command(name = "run", description = "Generate text from PROMPT, or chat interactively when PROMPT is omitted.")
final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "A stored model, a file name on STRATA_MODEL_PATH, a GGUF path, or a reference to pull first (hf://, oci://, ollama://, https://).")
    String model;

    @Parameters(index = "1", paramLabel = "PROMPT", arity = "0..1", description = "Text to continue; omit for a chat.")
    String prompt;

    // Sampling options left out take the stored model's PARAMETER of the same name, then the default shown.

    @Option(names = {"-n", "--n-predict"}, description = "Tokens to generate (-1: until end of text or full context). Default: num_predict, else -1.")
    Integer maxTokens;

    @Option(names = "--temperature", description = "Sampling temperature; 0 is greedy. Default: temperature, else 0.8.")
    Float temperature;

    @Option(names = "--top-k", description = "Keep the K most likely tokens (0: all). Default: top_k, else 40.")
    Integer topK;

    @Option(names = "--top-p", description = "Nucleus sampling threshold (1: off). Default: top_p, else 0.95.")
    Float topP;

    @Option(names = "--min-p", description = "Drop tokens below min-p times the top probability (0: off). Default: min_p, else 0.05.")
    Float minP;

    @Option(names = "--repeat-penalty", description = "Penalty for recently seen tokens (1: off). Default: repeat_penalty, else 1.")
    Float repeatPenalty;

    @Option(names = "--repeat-last-n", description = "How many recent tokens the penalties look at. Default: repeat_last_n, else 64.")
    Integer repeatLastN;

    @Option(names = "--frequency-penalty", description = "Default: frequency_penalty, else 0.")
    Float frequencyPenalty;

    @Option(names = "--presence-penalty", description = "Default: presence_penalty, else 0.")
    Float presencePenalty;

    @Option(names = "--seed", description = "Random seed; the same seed gives the same output. Default: seed, else random.")
    Long seed;

    @Option(names = "--stop", description = "Stop when the text contains this (repeatable; never printed). Default: the model's stop strings.")
    List<String> stop;

    @Option(names = {"-c", "--ctx-size"}, description = "Context size in tokens (default: num_ctx, else the model's, at most 4096).")
    Integer contextSize;

    @Option(names = {"-b", "--batch-size"}, description = "Prompt tokens per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchSize = 64;

    @Option(names = "--system", description = "System message for the interactive chat (default: the model's SYSTEM).")
    String system;

    @Override
    public Integer call() throws Exception {
        ModelLocator locator = ModelLocator.fromEnvironment();
        ResolvedModel resolved = ServeCommand.resolve(locator, model);
        ModelDefaults defaults = ModelDefaults.of(locator, resolved);
        try (LocalModel m = LocalModel.open(resolved.open())) {
            int ctx = contextSize != null ? contextSize
                    : defaults.integer(Parameter.NUM_CTX).orElse(Math.min(m.config().contextLength(), 4096));
            if (ctx <= 1) {
                throw new IllegalArgumentException("--ctx-size must be at least 2, got " + ctx);
            }
            int limit = maxTokens != null ? maxTokens : defaults.integer(Parameter.NUM_PREDICT).orElse(-1);
            List<String> stops = stop != null ? stop : defaults.stop().orElse(List.of());
            try (Generator gen = new Generator(m, ctx, Math.max(1, Math.min(batchSize, ctx)))) {
            SamplingParams params = samplingParams(defaults);
            if (prompt != null) {
                int[] ids = m.tokenizer().encode(prompt, true, true);
                checkFits(ids.length, ctx);
                stream(m.tokenizer(), gen, ids, new Sampler(params, m.config().vocabSize()), limit, stops, System.out);
                System.out.println();
            } else {
                chat(m, gen, params, defaults, limit, stops);
            }
            }
            System.out.flush();
        }
        return 0;
    }

    /** Each option: the flag, else the model's PARAMETER, else the built-in default. */
    private SamplingParams samplingParams(ModelDefaults d) {
        Long s = seed != null ? seed : d.seed().orElse(null);
        return new SamplingParams(
                pick(temperature, d, Parameter.TEMPERATURE, 0.8f),
                topK != null ? topK : d.integer(Parameter.TOP_K).orElse(40),
                pick(topP, d, Parameter.TOP_P, 0.95f),
                pick(minP, d, Parameter.MIN_P, 0.05f),
                pick(repeatPenalty, d, Parameter.REPEAT_PENALTY, 1.0f),
                pick(frequencyPenalty, d, Parameter.FREQUENCY_PENALTY, 0f),
                pick(presencePenalty, d, Parameter.PRESENCE_PENALTY, 0f),
                repeatLastN != null ? repeatLastN : d.integer(Parameter.REPEAT_LAST_N).orElse(64),
                s == null || s < 0 ? SamplingParams.RANDOM_SEED : s & 0xFFFFFFFFL, 0);
    }

    private static float pick(Float flag, ModelDefaults d, Parameter p, float builtIn) {
        return flag != null ? flag : d.number(p).map(Double::floatValue).orElse(builtIn);
    }

    private static void checkFits(int promptTokens, int ctx) {
        if (promptTokens >= ctx) {
            throw new IllegalArgumentException("prompt is " + promptTokens + " tokens, longer than the context of " + ctx
                    + " tokens (raise --ctx-size or shorten the prompt)");
        }
    }

    /** Streams the generated text; a stop string ends generation and is never printed (nor text held back for it). */
    private static Generator.StopReason stream(Tokenizer tok, Generator gen, int[] ids, Sampler sampler, int limit,
                                               List<String> stops, PrintStream out) {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        StopMatcher matcher = new StopMatcher(stops);
        Generator.StopReason why = gen.generate(ids, sampler, limit, token -> {
            out.print(matcher.push(decoder.feed(tok.piece(token, true))));
            out.flush();
            return !matcher.stopped();
        });
        out.print(matcher.push(decoder.flush()) + matcher.flush());
        out.flush();
        return why;
    }

    /**
     * The interactive chat: each turn renders the model's TEMPLATE (else the GGUF's chat template) over the
     * conversation with the model's MESSAGEs and system prompt joined as the server joins them.
     */
    private void chat(LocalModel m, Generator gen, SamplingParams params, ModelDefaults defaults, int limit,
                      List<String> stops) throws Exception {
        boolean hasTemplate = defaults.template().isPresent() || m.chatTemplate() != null;
        ChatTemplate template = ChatTemplate.forModel(m.file().metadata(), defaults.template());
        Tokenizer tok = m.tokenizer();
        String bos = tokenText(tok, tok.vocabulary().bos());
        String eos = tokenText(tok, tok.vocabulary().eos());
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) {
            messages.add(new ChatMessage("system", system));
        }
        Sampler sampler = new Sampler(params, m.config().vocabSize());
        System.err.println(!hasTemplate
                ? "(this model has no chat template: using a plain 'role: content' format)"
                : "(chat: type a message, an empty line or Ctrl-D ends)");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (true) {
            System.err.print("> ");
            System.err.flush();
            String line = in.readLine();
            if (line == null || line.isBlank()) {
                return;
            }
            messages.add(new ChatMessage("user", line));
            String rendered = template.render(defaults.chat(messages), true, bos, eos);
            boolean hasBos = !bos.isEmpty() && rendered.startsWith(bos);
            int[] ids = tok.encode(rendered, !hasBos, true);
            checkFits(ids.length, gen.contextSize());
            StringBuilder reply = new StringBuilder();
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8) {
                @Override
                public void print(String s) {
                    reply.append(s);
                    super.print(s);
                }
            };
            Generator.StopReason why = stream(tok, gen, ids, sampler, limit, stops, out);
            System.out.println();
            if (why == Generator.StopReason.CONTEXT_FULL) {
                System.err.println("(context is full: start a new chat)");
                return;
            }
            messages.add(new ChatMessage("assistant", reply.toString()));
        }
    }

    private static String tokenText(Tokenizer tok, int id) {
        return id < 0 ? "" : new String(tok.piece(id, true), StandardCharsets.UTF_8);
    }
}
