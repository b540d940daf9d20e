package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `strata serve` as a user starts it: a real process on a real port, checked against llama.cpp's output. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServeCommandTest {
    static Process start(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m"));
        String defaultPath = System.getProperty("strata.model.path.default");
        if (defaultPath != null) {
            cmd.add("-Dstrata.model.path.default=" + defaultPath);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.strata.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void serveWithNoModelServesStories260KAndItsGreedyCompletionIsLlamaCpps() throws Exception {
        String ref = Files.readString(CliTest.golden("stories260K"), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(ref);
        assertTrue(m.find());
        Process p = start("serve", "--port", "0", "--parallel", "2", "--ctx-size", "256");
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "serve printed nothing");
            Matcher url = Pattern.compile("serving stories260K on (http://\\S+)").matcher(line);
            assertTrue(url.find(), line);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url.group(1) + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\","
                            + "\"max_tokens\":48,\"temperature\":0}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = new ObjectMapper().readTree(r.body());
            // llama.cpp's generated_text drops the leading space of the first piece
            assertEquals(m.group(1), body.get("choices").get(0).get("text").asText().stripLeading().stripTrailing());
        } finally {
            p.destroy();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "serve stops on SIGTERM");
        }
    }

    @Test
    void serveWithAMissingModelSaysSoInOneLine() {
        CliTest.Result r = CliTest.strata("serve", "no-such-model.gguf", "--port", "0");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("strata: ") && r.err().contains("no-such-model"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
