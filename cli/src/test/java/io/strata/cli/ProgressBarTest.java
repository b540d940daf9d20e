package io.strata.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressBarTest {

    @Test
    void theBarShowsPercentBytesAndRate() {
        assertEquals("model 1a2b   50% \u2595" + "\u2588".repeat(15) + " ".repeat(15) + "\u258f 500.0 KB/1.0 MB  250.0 KB/s",
                ProgressBar.render("model 1a2b", 500_000, 1_000_000, 2.0));
        assertEquals("x  12.3 MB", ProgressBar.render("x", 12_300_000, -1, 0.1), "unknown size: bytes only");
    }

    @Test
    void aStepEndsTheBarLineFirst() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        bar.bytes("blob", 10, 10);
        bar.step("verifying sha256 digest");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\rblob  100% "), out);
        assertTrue(out.endsWith("\u001b[K\nverifying sha256 digest\n") || out.endsWith("\u001b[K" + System.lineSeparator()
                + "verifying sha256 digest" + System.lineSeparator()), out);
    }
}
