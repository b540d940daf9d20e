package io.strata.cli;

import io.strata.inference.Generator;
import io.strata.inference.LocalModel;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.chat.ChatMessage;
import io.strata.model.chat.ChatTemplate;
import io.strata.model.remote.ModelResolver;
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

    @Option(names = {"-n", "--n-predict"}, description = "Tokens to generate (-1: until end of text or full context). Default: ${DEFAULT-VALUE}.")
    int maxTokens = -1;

    @Option(names = "--temperature", description = "Sampling temperature; 0 is greedy. Default: ${DEFAULT-VALUE}.")
    float temperature = 0.8f;

    @Option(names = "--top-k", description = "Keep the K most likely tokens (0: all). Default: ${DEFAULT-VALUE}.")
    int topK = 40;

    @Option(names = "--top-p", description = "Nucleus sampling threshold (1: off). Default: ${DEFAULT-VALUE}.")
    float topP = 0.95f;

    @Option(names = "--min-p", description = "Drop tokens below min-p times the top probability (0: off). Default: ${DEFAULT-VALUE}.")
    float minP = 0.05f;

    @Option(names = "--repeat-penalty", description = "Penalty for recently seen tokens (1: off). Default: ${DEFAULT-VALUE}.")
    float repeatPenalty = 1.0f;

    @Option(names = "--repeat-last-n", description = "How many recent tokens the penalties look at. Default: ${DEFAULT-VALUE}.")
    int repeatLastN = 64;

    @Option(names = "--frequency-penalty", description = "Default: ${DEFAULT-VALUE}.")
    float frequencyPenalty = 0f;

    @Option(names = "--presence-penalty", description = "Default: ${DEFAULT-VALUE}.")
    float presencePenalty = 0f;

    @Option(names = "--seed", description = "Random seed; the same seed gives the same output. Default: random.")
    Long seed;

    @Option(names = {"-c", "--ctx-size"}, description = "Context size in tokens (default: the model's, at most 4096).")
    Integer contextSize;

    @Option(names = {"-b", "--batch-size"}, description = "Prompt tokens per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchSize = 64;

    @Option(names = "--system", description = "System message for the interactive chat.")
    String system;

    @Override
    public Integer call() throws Exception {
        try (LocalModel m = LocalModel.open(ModelResolver.fromEnvironment(ProgressBar.forTerminal()).resolve(model).gguf())) {
            int ctx = contextSize != null ? contextSize : Math.min(m.config().contextLength(), 4096);
            if (ctx <= 1) {
                throw new IllegalArgumentException("--ctx-size must be at least 2, got " + ctx);
            }
            try (Generator gen = new Generator(m, ctx, Math.max(1, Math.min(batchSize, ctx)))) {
            SamplingParams params = samplingParams();
            if (prompt != null) {
                int[] ids = m.tokenizer().encode(prompt, true, true);
                checkFits(ids.length, ctx);
                stream(m.tokenizer(), gen, ids, new Sampler(params, m.config().vocabSize()), System.out);
                System.out.println();
            } else {
                chat(m, gen, params);
            }
            }
            System.out.flush();
        }
        return 0;
    }

    private SamplingParams samplingParams() {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                repeatLastN, seed == null ? SamplingParams.RANDOM_SEED : seed, 0);
    }

    private static void checkFits(int promptTokens, int ctx) {
        if (promptTokens >= ctx) {
            throw new IllegalArgumentException("prompt is " + promptTokens + " tokens, longer than the context of " + ctx
                    + " tokens (raise --ctx-size or shorten the prompt)");
        }
    }

    private Generator.StopReason stream(Tokenizer tok, Generator gen, int[] ids, Sampler sampler, PrintStream out) {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        Generator.StopReason why = gen.generate(ids, sampler, maxTokens, token -> {
            out.print(decoder.feed(tok.piece(token, true)));
            out.flush();
            return true;
        });
        out.print(decoder.flush());
        out.flush();
        return why;
    }

    private void chat(LocalModel m, Generator gen, SamplingParams params) throws Exception {
        boolean hasTemplate = m.chatTemplate() != null;
        ChatTemplate template = ChatTemplate.fromGguf(m.file().metadata());
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
            String rendered = template.render(messages, true, bos, eos);
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
            Generator.StopReason why = stream(tok, gen, ids, sampler, out);
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
