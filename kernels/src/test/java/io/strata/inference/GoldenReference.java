package io.strata.inference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp's reference outputs in ../shared/golden/MODEL/: the prompt ids, the greedy ids with each step's
 * top-5 logits, and (where present) the full logit vector of every step.
 */
record GoldenReference(String model, int[] promptIds, int[] generatedIds, List<int[]> top5Ids, List<float[]> top5Logits,
                       String generatedText) {

    static Path sharedDir() {
        String p = System.getProperty("strata.shared");
        Path dir = p != null ? Path.of(p) : Path.of("../shared");
        if (!Files.isDirectory(dir.resolve("golden"))) {
            throw new IllegalStateException("reference material not found: " + dir.toAbsolutePath() + "/golden (set -Dstrata.shared)");
        }
        return dir;
    }

    static Path file(String model, String name) {
        Path f = sharedDir().resolve("golden").resolve(model).resolve(name);
        if (!Files.exists(f)) {
            throw new IllegalStateException("golden file missing: " + f);
        }
        return f;
    }

    static GoldenReference greedy(String model, boolean kvF32) {
        Path f = file(model, kvF32 ? "greedy_once_upon_a_time_kvf32.txt" : "greedy_once_upon_a_time.txt");
        try {
            String s = Files.readString(f, StandardCharsets.ISO_8859_1);
            int[] prompt = ids(first(s, "(?m)^prompt_ids \\(\\d+\\): (.*)$"));
            int[] gen = ids(first(s, "(?m)^generated_ids \\(\\d+\\): (.*)$"));
            List<int[]> topIds = new ArrayList<>();
            List<float[]> topLogits = new ArrayList<>();
            Matcher m = Pattern.compile("(?m)^step +\\d+: id=\\d+ .*top5=\\[(.*)]$").matcher(s);
            while (m.find() && topIds.size() < gen.length) {
                String[] parts = m.group(1).split(", ");
                int[] ids = new int[parts.length];
                float[] logits = new float[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    String[] kv = parts[i].split(":");
                    ids[i] = Integer.parseInt(kv[0]);
                    logits[i] = Float.parseFloat(kv[1]);
                }
                topIds.add(ids);
                topLogits.add(logits);
            }
            String text = s.contains("generated_text: ") ? s.substring(s.indexOf("generated_text: ")).lines().findFirst().orElse("") : "";
            return new GoldenReference(model, prompt, gen, topIds, topLogits, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every step's full logits from logits_once_upon_a_time[_kvf32].txt. */
    static List<float[]> logits(String model, boolean kvF32) {
        Path f = file(model, kvF32 ? "logits_once_upon_a_time_kvf32.txt" : "logits_once_upon_a_time.txt");
        try {
            List<float[]> out = new ArrayList<>();
            for (String line : Files.readAllLines(f)) {
                if (!line.startsWith("step ")) {
                    continue;
                }
                String[] parts = line.substring(line.indexOf(':') + 2).trim().split(" ");
                float[] v = new float[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    v[i] = Float.parseFloat(parts[i]);
                }
                out.add(v);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String first(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        if (!m.find()) {
            throw new IllegalStateException("golden file lacks " + regex);
        }
        return m.group(1);
    }

    private static int[] ids(String s) {
        return Arrays.stream(s.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }
}
