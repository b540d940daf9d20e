package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.inference.Batch;
import io.strata.inference.KvCache;
import io.strata.inference.LocalModel;
import io.strata.inference.ModelWeights;
import io.strata.inference.Transformer;
import io.strata.kernels.WeightMatrix;
import io.strata.kernels.cpu.BandwidthProbe;
import io.strata.kernels.cpu.ThreadTeam;
import io.strata.model.arch.ModelConfig;
import io.strata.model.store.ModelLocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code strata bench MODEL}: prefill and decode speed, and how close decode comes to the memory-bandwidth bound.
 *
 * <p>Decode reads every weight matrix once per token, so tokens/s x weight bytes per token can never exceed the
 * machine's read bandwidth; {@code decode_bound_fraction} is that product over the bandwidth {@link BandwidthProbe}
 * measures with the same thread count. Prefill multiplies a whole batch of tokens by each matrix, so it is bound by
 * arithmetic, not memory, and is reported as tokens/s only.
 *
 * <p>Token ids are random (seeded), so no tokenizer is involved; decode is greedy (argmax). The results go to
 * stdout (a table, or one JSON object with {@code --json}); progress goes to stderr.
 */
@Command(name = "bench", description = "Measure prefill and decode tokens/s and compare decode with the memory-bandwidth bound.")
final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "A stored model, a GGUF path or Hugging Face directory, a file name on STRATA_MODEL_PATH, or a reference to pull first (hf://, oci://, ollama://, https://).")
    String model;

    @Option(names = {"-t", "--threads"}, description = "Compute threads, for the model and the bandwidth probe alike. Default: all processors.")
    Integer threads;

    @Option(names = {"-p", "--prompt-tokens"}, description = "Tokens of the timed prefill. Default: ${DEFAULT-VALUE}.")
    int promptTokens = 128;

    @Option(names = {"-n", "--gen-tokens"}, description = "Timed decode steps after the prefill. Default: ${DEFAULT-VALUE}.")
    int genTokens = 64;

    @Option(names = {"-b", "--batch-size"}, description = "Most tokens per prefill forward pass; a longer prompt goes in chunks. Default: ${DEFAULT-VALUE}.")
    int batchSize = 512;

    @Option(names = "--seed", description = "Seed of the random prompt token ids. Default: ${DEFAULT-VALUE}.")
    long seed = 1234;

    @Option(names = "--probe-mib", description = "Size of each of the bandwidth probe's three arrays, MiB. Default: ${DEFAULT-VALUE}.")
    long probeMib = BandwidthProbe.DEFAULT_ARRAY_BYTES >> 20;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Untimed work before the measurements, so the JIT has compiled the kernels and the weights are paged in. */
    private static final int WARMUP_PROMPT_TOKENS = 8;
    private static final int WARMUP_DECODE_STEPS = 2;
    private static final int PROBE_WARMUPS = 3;
    private static final int PROBE_PASSES = 10;

    @Override
    public Integer call() throws Exception {
        int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        require(threadCount >= 1, "--threads must be at least 1, got " + threadCount);
        require(promptTokens >= 1, "--prompt-tokens must be at least 1, got " + promptTokens);
        require(genTokens >= 1, "--gen-tokens must be at least 1, got " + genTokens);
        require(batchSize >= 1, "--batch-size must be at least 1, got " + batchSize);
        require(probeMib >= 1, "--probe-mib must be at least 1, got " + probeMib);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        Path path = ServeCommand.resolve(ModelLocator.fromEnvironment(), model).gguf();
        try (LocalModel m = LocalModel.open(path)) {
            ModelConfig c = m.config();
            WeightTraffic traffic = WeightTraffic.of(m.weights());
            int context = promptTokens + genTokens;
            require(context <= c.contextLength() || c.contextLength() <= 0,
                    "--prompt-tokens + --gen-tokens = " + context + " exceeds the model's context of " + c.contextLength());
            err.printf("bench: %s, threads: %d; measuring memory bandwidth (3 x %d MiB)...%n", path.getFileName(), threadCount, probeMib);
            err.flush();

            BandwidthProbe.Measurement triad;
            BandwidthProbe.Measurement read;
            try (ThreadTeam team = new ThreadTeam(threadCount); BandwidthProbe probe = new BandwidthProbe(team, probeMib << 20)) {
                triad = probe.triad(PROBE_WARMUPS, PROBE_PASSES);
                // the faster of the Java read and the native kernels' prefetching read: the decode kernels stream as
                // the latter does, and a slower probe would flatter the bound fraction
                read = probe.bestRead(PROBE_WARMUPS, PROBE_PASSES);
            }

            int batchTokens = Math.min(batchSize, promptTokens);
            Timings t;
            try (Transformer tf = new Transformer(c, m.weights(), batchTokens, context, threadCount)) {
                err.printf("bench: warm-up (%d prompt tokens, %d decode steps)...%n", Math.min(WARMUP_PROMPT_TOKENS, batchTokens), WARMUP_DECODE_STEPS);
                err.flush();
                run(tf, c, randomTokens(c.vocabSize(), Math.min(WARMUP_PROMPT_TOKENS, batchTokens), ~seed), WARMUP_DECODE_STEPS, null);
                err.printf("bench: prefill of %d tokens, then %d decode steps...%n", promptTokens, genTokens);
                err.flush();
                t = new Timings();
                run(tf, c, randomTokens(c.vocabSize(), promptTokens, seed), genTokens, t);
            }

            double prefillRate = promptTokens / t.prefillSeconds;
            double decodeRate = genTokens / t.decodeSeconds;
            double bandwidth = read.bytesPerSecond();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", path.getFileName().toString());
            r.put("model_file_bytes", m.file().fileSize());
            r.put("architecture", c.architecture().ggufName());
            r.put("weight_types", traffic.bytesByType());
            r.put("threads", threadCount);
            r.put("prompt_tokens", promptTokens);
            r.put("gen_tokens", genTokens);
            r.put("batch_tokens", batchTokens);
            r.put("seed", seed);
            r.put("prefill_seconds", t.prefillSeconds);
            r.put("prefill_tokens_per_s", prefillRate);
            r.put("decode_seconds", t.decodeSeconds);
            r.put("decode_tokens_per_s", decodeRate);
            r.put("bytes_per_token", traffic.bytesPerToken());
            r.put("bandwidth_bytes_per_s", bandwidth);
            r.put("bandwidth_kernel", read.kernel());
            r.put("read_bytes_per_s", read.bytesPerSecond());
            r.put("triad_bytes_per_s", triad.bytesPerSecond());
            r.put("probe_array_bytes", probeMib << 20);
            r.put("decode_bound_tokens_per_s", bandwidth / traffic.bytesPerToken());
            r.put("decode_bound_fraction", decodeRate * traffic.bytesPerToken() / bandwidth);
            r.put("java", Runtime.version().toString());
            r.put("int8_kernels", io.strata.kernels.cpu.MatMul.int8Kernels());
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(r));
            } else {
                printTable(out, r, triad, read);
            }
            out.flush();
        }
        return 0;
    }

    /** Seconds spent in the timed phases. */
    private static final class Timings {
        double prefillSeconds;
        double decodeSeconds;
    }

    /**
     * Prefills {@code prompt} into a fresh cache in chunks of the transformer's batch size, then decodes
     * {@code steps} tokens greedily, timing both phases into {@code timings} when it is not null.
     */
    private static void run(Transformer tf, ModelConfig c, int[] prompt, int steps, Timings timings) {
        KvCache cache = new KvCache(c, prompt.length + steps);
        Batch batch = new Batch(tf.maxBatchTokens());
        float[] logits = new float[c.vocabSize()];
        long t0 = System.nanoTime();
        for (int start = 0; start < prompt.length; start += batch.capacity()) {
            batch.clear();
            batch.addSequence(cache, prompt, start, Math.min(prompt.length, start + batch.capacity()));
            tf.forward(batch, logits);
        }
        long t1 = System.nanoTime();
        int token = argmax(logits);
        for (int i = 0; i < steps; i++) {
            batch.clear();
            batch.add(cache, token, cache.length(), true);
            tf.forward(batch, logits);
            token = argmax(logits);
        }
        long t2 = System.nanoTime();
        if (timings != null) {
            timings.prefillSeconds = (t1 - t0) / 1e9;
            timings.decodeSeconds = (t2 - t1) / 1e9;
        }
    }

    private static int[] randomTokens(int vocabSize, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = random.nextInt(vocabSize);
        }
        return ids;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The weight bytes one decode step streams: every projection of every layer and the output head. The token
     * embedding contributes one row per token (a few KiB), left out; with tied embeddings the same matrix is the
     * output head and is counted once, as the head.
     */
    record WeightTraffic(List<WeightMatrix> matrices) {

        static WeightTraffic of(ModelWeights w) {
            List<WeightMatrix> all = new ArrayList<>();
            for (ModelWeights.Layer l : w.layers()) {
                all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()));
            }
            all.add(w.output());
            return new WeightTraffic(all);
        }

        long bytesPerToken() {
            return matrices.stream().mapToLong(WeightTraffic::bytes).sum();
        }

        /** Bytes per token by tensor type, e.g. {Q6_K=..., Q8_0=...}. */
        Map<String, Long> bytesByType() {
            Map<String, Long> m = new TreeMap<>();
            for (WeightMatrix w : matrices) {
                m.merge(w.type().name(), bytes(w), Long::sum);
            }
            return m;
        }

        private static long bytes(WeightMatrix w) {
            return w.rows() * w.rowBytes();
        }
    }

    private static void printTable(PrintWriter out, Map<String, Object> r, BandwidthProbe.Measurement triad,
                                   BandwidthProbe.Measurement read) {
        double decodeRate = (double) r.get("decode_tokens_per_s");
        long bytesPerToken = (long) r.get("bytes_per_token");
        out.printf("model            %s (%.1f MiB, %s)%n", r.get("model"), (long) r.get("model_file_bytes") / 1048576.0, r.get("architecture"));
        out.printf("threads          %d%n", (int) r.get("threads"));
        out.printf("bandwidth        " + read.kernel() + " %.2f GB/s, triad %.2f GB/s (3 x %d MiB arrays, best of %d passes; triad counts 2 reads + 1 write)%n",
                read.bytesPerSecond() / 1e9, triad.bytesPerSecond() / 1e9, (long) r.get("probe_array_bytes") >> 20, PROBE_PASSES);
        out.printf("prefill          %.2f tok/s (%d tokens in %.2f s, batches of %d)%n", (double) r.get("prefill_tokens_per_s"),
                (int) r.get("prompt_tokens"), (double) r.get("prefill_seconds"), (int) r.get("batch_tokens"));
        out.printf("decode           %.2f tok/s (%d tokens in %.2f s)%n", decodeRate, (int) r.get("gen_tokens"), (double) r.get("decode_seconds"));
        out.printf("weights/token    %.1f MiB %s%n", bytesPerToken / 1048576.0, mib((Map<?, ?>) r.get("weight_types")));
        out.printf("decode bound     %.2f tok/s at the read bandwidth; decode reaches %.1f%% of it%n",
                (double) r.get("decode_bound_tokens_per_s"), 100 * (double) r.get("decode_bound_fraction"));
    }

    private static String mib(Map<?, ?> bytesByType) {
        StringBuilder s = new StringBuilder("(");
        bytesByType.forEach((type, bytes) -> s.append(s.length() > 1 ? ", " : "").append(type).append(' ')
                .append(String.format("%.1f MiB", (long) bytes / 1048576.0)));
        return s.append(')').toString();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
