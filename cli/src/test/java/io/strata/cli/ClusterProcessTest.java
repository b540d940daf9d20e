package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.inference.Generator;
import io.strata.inference.LocalModel;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.store.ModelLocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The cluster as an operator runs it: {@code strata cluster up} starts a coordinator and the workers, one JVM
 * each, on loopback; the model is split by pipeline stages, tensor-parallel ranks or both; greedy completions
 * through the HTTP API must be the single-node tokens, with log-probabilities within 1e-3.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClusterProcessTest {
    static final Duration READY_BUDGET = Duration.ofSeconds(150);
    static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0} PP={1} TP={2}")
    @CsvSource({
            "stories260K.gguf, 2, 1, 48",
            "stories260K.gguf, 1, 2, 48",
            "stories260K.gguf, 2, 2, 48",
            "synth-k-Q8_0.gguf, 2, 1, 16",
            "synth-k-Q8_0.gguf, 1, 2, 16",
            "synth-k-Q8_0.gguf, 2, 2, 16"})
    void greedyThroughTheClusterIsTheSingleNodeTokensWithLogprobsWithin1e3(String model, int pp, int tp, int steps)
            throws Exception {
        Path config = writeConfig("test-" + pp + "x" + tp, model, pp, tp, pp * tp, freeTcpPort());
        Reference ref = Reference.of(model, "Once upon a time", steps);
        try (Cluster c = Cluster.up(config)) {
            c.awaitReady(READY_BUDGET);
            JsonNode body = c.complete(model, "Once upon a time", steps);
            JsonNode lp = body.get("choices").get(0).get("logprobs");
            List<Integer> tokens = new ArrayList<>();
            for (JsonNode t : lp.get("tokens")) {
                tokens.add(tokenId(t.asText()));
            }
            assertEquals(ref.tokens(), tokens, "greedy tokens through the cluster");
            for (int i = 0; i < steps; i++) {
                JsonNode top = lp.get("top_logprobs").get(i);
                for (Map.Entry<String, JsonNode> e : top.properties()) {
                    float want = ref.logprob(i, tokenId(e.getKey()));
                    assertEquals(want, e.getValue().floatValue(), 1e-3, "step " + i + " " + e.getKey());
                }
            }
            for (int port : workerHttpPorts(config)) {
                String metrics = get("http://127.0.0.1:" + port + "/metrics");
                assertTrue(sample(metrics, "strata_worker_step_seconds_count") >= steps, metrics);
                assertTrue(sample(metrics, "strata_worker_sent_bytes_total") > 0, metrics);
                assertEquals(1.0, sample(metrics, "strata_worker_ready"), metrics);
                if (tp > 1) {
                    assertTrue(sample(metrics, "strata_worker_allreduce_seconds_count") > 0, metrics);
                }
            }
        }
    }

    /** A process's arguments, NUL-separated (Linux's /proc; ProcessHandle.Info truncates long class paths). */
    static String commandLine(ProcessHandle h) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of the first sample of {@code name} in a Prometheus text exposition. */
    static double sample(String exposition, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? (\\S+)$").matcher(exposition);
        assertTrue(m.find(), "no " + name);
        return Double.parseDouble(m.group(1));
    }

    /** The workers' HTTP ports as the config names them. */
    static List<Integer> workerHttpPorts(Path config) throws IOException {
        List<Integer> ports = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^    http_port: (\\d+)$").matcher(Files.readString(config));
        while (m.find()) {
            ports.add(Integer.parseInt(m.group(1)));
        }
        return ports.subList(1, ports.size()); // the first is the coordinator's
    }

    @Test
    void whenTheWorkerOfOneReplicaIsKilledRequestsGoToTheOtherReplica() throws Exception {
        Path config = writeConfig("test-replicas", "stories260K.gguf", 1, 1, 2, freeTcpPort());
        Files.writeString(config, Files.readString(config).replace("pipeline_parallel: 1", "replicas: 2\npipeline_parallel: 1"));
        Reference ref = Reference.of("stories260K.gguf", "Once upon a time", 16);
        try (Cluster c = Cluster.up(config)) {
            c.awaitReady(READY_BUDGET);
            ProcessHandle w1 = c.process().descendants().filter(h -> commandLine(h).contains("--name\0w1\0"))
                    .findFirst().orElseThrow(() -> new AssertionError("no process of worker w1 under cluster up"));
            w1.destroyForcibly();
            assertTrue(w1.onExit().get(30, TimeUnit.SECONDS) != null);
            // the coordinator knows within the heartbeat timeout (3 s) and Hazelcast's member timeout (5 s);
            // after that every request must land on the replica left, with the single-node tokens
            Thread.sleep(7000);
            for (int i = 0; i < 4; i++) {
                JsonNode body = c.complete("stories260K.gguf", "Once upon a time", 16);
                List<Integer> tokens = new ArrayList<>();
                for (JsonNode t : body.get("choices").get(0).get("logprobs").get("tokens")) {
                    tokens.add(tokenId(t.asText()));
                }
                assertEquals(ref.tokens(), tokens, "request " + i + " after the kill");
            }
        }
    }

    @Test
    void aWorkerWithAnotherClusterNameIsRefusedAndSaysWhy() throws Exception {
        int seed = freeTcpPort();
        Path config = writeConfig("test-names", "stories260K.gguf", 1, 1, 1, seed);
        try (Cluster c = Cluster.up(config)) {
            c.awaitReady(READY_BUDGET);
            // same seed member, other cluster name, its own ports
            Path other = writeConfig("another-cluster", "stories260K.gguf", 1, 1, 1, seed);
            CliTest.Result r = CliTest.strata("worker", "--config", other.toString(), "--name", "w1",
                    "--join-timeout", "5");
            assertEquals(1, r.exit(), r.err());
            assertTrue(r.err().contains("cluster name differs"), r.err());
        }
    }

    @Test
    void aConfigErrorNamesTheFileAndLine() throws Exception {
        Path bad = Files.createTempDirectory("strata-cluster").resolve("bad.yaml");
        Files.writeString(bad, "cluster_name: x\nworkers:\n  - name: w1\n    host: 127.0.0.1\n    aeron_port: seventy\n");
        CliTest.Result r = CliTest.strata("cluster", "up", "--config", bad.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("bad.yaml:5: workers[0].aeron_port: seventy is not a whole number"), r.err());
    }

    /** "token_id:N" as vLLM's return_tokens_as_token_ids writes it. */
    static int tokenId(String s) {
        assertTrue(s.startsWith("token_id:"), s);
        return Integer.parseInt(s.substring(9));
    }

    /** A config with free loopback ports: one coordinator (the seed, on {@code hz}), workers of one thread. */
    static Path writeConfig(String name, String model, int pp, int tp, int workers, int hz) throws IOException {
        // the kernel may hand the same free port out twice in a row: every port of one config is distinct
        java.util.Set<Integer> taken = new java.util.HashSet<>(List.of(hz));
        java.util.function.IntSupplier tcp = () -> distinct(taken, ClusterProcessTest::freeTcpPort);
        java.util.function.IntSupplier udp = () -> distinct(taken, ClusterProcessTest::freeUdpPort);
        StringBuilder y = new StringBuilder();
        y.append("cluster_name: ").append(name).append('\n')
                .append("hazelcast:\n  seed_members:\n    - host: 127.0.0.1\n      port: ").append(hz).append('\n')
                .append("coordinators:\n  - name: coord-1\n    host: 127.0.0.1\n    http_port: ").append(tcp.getAsInt())
                .append("\n    hazelcast_port: ").append(hz).append('\n')
                .append("workers:\n");
        for (int i = 1; i <= workers; i++) {
            y.append("  - name: w").append(i).append("\n    host: 127.0.0.1\n    aeron_port: ").append(udp.getAsInt())
                    .append("\n    http_port: ").append(tcp.getAsInt())
                    .append("\n    memory: 256MiB\n    threads: 1\n    backend: cpu\n");
        }
        y.append("model: ").append(model).append("\ncontext_length: 128\nslots: 2\n")
                .append("pipeline_parallel: ").append(pp).append("\ntensor_parallel: ").append(tp).append('\n');
        Path dir = Files.createTempDirectory("strata-cluster");
        return Files.writeString(dir.resolve(name + ".yaml"), y.toString());
    }

    private interface PortSource {
        int free() throws IOException;
    }

    private static int distinct(java.util.Set<Integer> taken, PortSource source) {
        try {
            for (int attempt = 0; attempt < 100; attempt++) {
                int port = source.free();
                if (taken.add(port)) {
                    return port;
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no distinct free port in 100 attempts");
    }

    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Single-node greedy decoding in this JVM: the tokens and each step's log-probabilities. */
    record Reference(List<Integer> tokens, List<float[]> logprobs) {
        static Reference of(String model, String prompt, int steps) {
            List<Integer> tokens = new ArrayList<>();
            List<float[]> logprobs = new ArrayList<>();
            try (LocalModel m = LocalModel.open(ModelLocator.fromEnvironment().locate(model));
                 Generator g = new Generator(m, 128, 32)) {
                g.generate(m.tokenizer().encode(prompt, true, false), new Sampler(SamplingParams.greedy(),
                        m.config().vocabSize()), steps, t -> {
                    logprobs.add(logSoftmax(g.lastLogits()));
                    tokens.add(t);
                    return true;
                });
            }
            return new Reference(tokens, logprobs);
        }

        float logprob(int step, int token) {
            return logprobs.get(step)[token];
        }

        private static float[] logSoftmax(float[] logits) {
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            double sum = 0;
            for (float l : logits) {
                sum += Math.exp(l - max);
            }
            double log = max + Math.log(sum);
            float[] out = new float[logits.length];
            for (int i = 0; i < logits.length; i++) {
                out[i] = (float) (logits[i] - log);
            }
            return out;
        }
    }

    /** A running {@code strata cluster up}; closing it stops every process it started. */
    record Cluster(Process process, String url, Path log) implements AutoCloseable {
        static Cluster up(Path config) throws Exception {
            Path log = config.resolveSibling("cluster.log");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(List.of(System.getProperty("strata.launch.flags", "").trim().split("\\s+")));
            cmd.add("-Xmx256m");
            String defaultPath = System.getProperty("strata.model.path.default");
            if (defaultPath != null) {
                cmd.add("-Dstrata.model.path.default=" + defaultPath);
            }
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.strata.cli.Main",
                    "cluster", "up", "--config", config.toString()));
            Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            Matcher m = line == null ? null : Pattern.compile("^coordinator: (http://\\S+)$").matcher(line);
            if (m == null || !m.matches()) {
                p.destroy();
                fail("cluster up printed " + line + "; its log:\n" + tail(log));
            }
            return new Cluster(p, m.group(1), log);
        }

        void awaitReady(Duration budget) throws Exception {
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + budget.toNanos();
            String last = "";
            while (System.nanoTime() < deadline) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/ready"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.body();
                Thread.sleep(250);
            }
            fail("not ready within " + budget.toSeconds() + " s: " + last + "\nlog:\n" + tail(log));
        }

        JsonNode complete(String model, String prompt, int maxTokens) throws Exception {
            Map<String, Object> req = new HashMap<>();
            req.put("model", model);
            req.put("prompt", prompt);
            req.put("max_tokens", maxTokens);
            req.put("temperature", 0);
            req.put("logprobs", 5);
            req.put("ignore_eos", true);
            req.put("return_tokens_as_token_ids", true);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                    .timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(req))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            return JSON.readTree(r.body());
        }

        static String tail(Path log) {
            try {
                List<String> lines = Files.readAllLines(log);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("cluster up did not stop within 30 s of SIGTERM");
            }
        }
    }
}
