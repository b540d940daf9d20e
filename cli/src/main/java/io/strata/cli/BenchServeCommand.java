package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code strata bench-serve URL}: a load generator for any OpenAI-compatible server (Strata, llama-server, vLLM).
 * At each concurrency level, that many clients each send streaming completions one after another; it reports
 * generated tokens per second over the level's wall time, and time to first token and inter-token latency
 * percentiles, measured from the SSE chunks as a client sees them.
 */
@Command(name = "bench-serve", description = "Measure an OpenAI-compatible server: tokens/s, TTFT and inter-token latency at several concurrencies.")
final class BenchServeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", paramLabel = "URL", description = "The server's base URL, e.g. http://127.0.0.1:8080")
    String url;

    @Option(names = "--model", description = "The model name to request (default: the first of /v1/models).")
    String model;

    @Option(names = "--concurrency", split = ",", description = "Concurrency levels. Default: 1,4,16.")
    List<Integer> levels = List.of(1, 4, 16);

    @Option(names = "--requests", description = "Requests per level (default: 2 x concurrency, at least 4).")
    Integer requests;

    @Option(names = "--max-tokens", description = "Tokens generated per request (EOS ignored). Default: ${DEFAULT-VALUE}.")
    int maxTokens = 32;

    @Option(names = "--prompt", description = "Prompt text; each request appends its number. Default: ${DEFAULT-VALUE}.")
    String prompt = "Once upon a time, in a land far away,";

    @Option(names = "--warmup-rounds", description = "Untimed rounds at the highest concurrency first, so the server's "
            + "JIT has compiled its batched kernels before anything is timed. Default: ${DEFAULT-VALUE}.")
    int warmupRounds = 1;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** One request as the client saw it. */
    record Sample(long startNanos, long firstNanos, long endNanos, int tokens, List<Long> gapsNanos) {
    }

    @Override
    public Integer call() throws Exception {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        if (model == null) {
            JsonNode models = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            model = models.get("data").get(0).get("id").asText();
        }
        // warm-up: the server's JIT compiles the kernels for the batch shapes the levels will use
        once(base, 0, 8);
        int top = levels.stream().max(Integer::compare).orElse(1);
        for (int r = 0; r < warmupRounds; r++) {
            level(base, top, top);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("url", base);
        out.put("model", model);
        out.put("max_tokens", maxTokens);
        ArrayNode rows = out.putArray("levels");
        if (!json) {
            System.out.printf("%-11s %-8s %-9s %-10s %-10s %-10s %-10s%n", "concurrency", "requests", "tokens/s",
                    "TTFT p50", "TTFT p99", "ITL p50", "ITL p99");
        }
        for (int c : levels) {
            int n = requests != null ? requests : Math.max(4, 2 * c);
            List<Sample> samples = level(base, c, n);
            long start = samples.stream().mapToLong(Sample::startNanos).min().orElse(0);
            long end = samples.stream().mapToLong(Sample::endNanos).max().orElse(0);
            int tokens = samples.stream().mapToInt(Sample::tokens).sum();
            double tps = tokens / ((end - start) / 1e9);
            List<Long> ttft = new ArrayList<>();
            List<Long> itl = new ArrayList<>();
            for (Sample s : samples) {
                ttft.add(s.firstNanos() - s.startNanos());
                itl.addAll(s.gapsNanos());
            }
            ObjectNode row = rows.addObject();
            row.put("concurrency", c);
            row.put("requests", n);
            row.put("generated_tokens", tokens);
            row.put("tokens_per_s", round(tps));
            row.put("ttft_p50_ms", ms(percentile(ttft, 50)));
            row.put("ttft_p99_ms", ms(percentile(ttft, 99)));
            row.put("itl_p50_ms", ms(percentile(itl, 50)));
            row.put("itl_p99_ms", ms(percentile(itl, 99)));
            if (!json) {
                System.out.printf(Locale.ROOT, "%-11d %-8d %-9.2f %-10s %-10s %-10s %-10s%n", c, n, tps,
                        ms(percentile(ttft, 50)) + " ms", ms(percentile(ttft, 99)) + " ms",
                        ms(percentile(itl, 50)) + " ms", ms(percentile(itl, 99)) + " ms");
            }
        }
        if (rows.size() >= 2) {
            double first = rows.get(0).get("tokens_per_s").asDouble();
            double last = rows.get(rows.size() - 1).get("tokens_per_s").asDouble();
            out.put("batching_gain", round(last / first));
            if (!json) {
                System.out.printf(Locale.ROOT, "batching gain (tokens/s at %d / at %d): %.2fx%n",
                        levels.get(levels.size() - 1), levels.get(0), last / first);
            }
        }
        if (json) {
            System.out.println(JSON.writeValueAsString(out));
        }
        return 0;
    }

    private List<Sample> level(String base, int concurrency, int n) throws Exception {
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            List<Future<?>> fs = new ArrayList<>();
            int[] next = {0};
            for (int c = 0; c < concurrency; c++) {
                fs.add(pool.submit(() -> {
                    while (true) {
                        int i;
                        synchronized (next) {
                            if (next[0] >= n) {
                                return null;
                            }
                            i = next[0]++;
                        }
                        samples.add(once(base, i, maxTokens));
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        return samples;
    }

    private Sample once(String base, int i, int tokens) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("prompt", prompt + " " + i);
        body.put("max_tokens", tokens);
        body.put("temperature", 0);
        body.put("ignore_eos", true);
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                        .header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the server answered " + r.statusCode() + ": "
                    + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        long first = 0;
        long last = 0;
        int generated = -1;
        List<Long> gaps = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode chunk = JSON.readTree(line.substring(6));
                if (chunk.has("error")) {
                    throw new IllegalStateException("the server failed mid-stream: " + chunk.get("error"));
                }
                if (chunk.hasNonNull("usage")) {
                    generated = chunk.get("usage").get("completion_tokens").asInt();
                }
                JsonNode choices = chunk.get("choices");
                if (choices != null && !choices.isEmpty() && !choices.get(0).path("text").asText().isEmpty()) {
                    long now = System.nanoTime();
                    if (first == 0) {
                        first = now;
                    } else {
                        gaps.add(now - last);
                    }
                    last = now;
                }
            }
        }
        long end = System.nanoTime();
        return new Sample(start, first == 0 ? end : first, end, Math.max(generated, 0), gaps);
    }

    private static long percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(idx, sorted.size() - 1)));
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    private static double round(double d) {
        return Math.round(d * 100) / 100.0;
    }
}
