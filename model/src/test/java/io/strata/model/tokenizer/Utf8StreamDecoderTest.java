package io.strata.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Utf8StreamDecoderTest {

    @Test
    void holdsBackACharacterSplitAcrossPieces() {
        final Utf8StreamDecoder d = new Utf8StreamDecoder();
        assertEquals("caf", d.feed(new byte[] {'c', 'a', 'f', (byte) 0xC3}));
        assertEquals("é!", d.feed(new byte[] {(byte) 0xA9, '!'}));
        assertEquals("", d.flush());
    }

    @Test
    void completesAFourByteCharacterFedOneByteAtATime() {
        final byte[] llama = "🦙".getBytes(StandardCharsets.UTF_8);
        final Utf8StreamDecoder d = new Utf8StreamDecoder();
        assertEquals("", d.feed(new byte[] {llama[0]}));
        assertEquals("", d.feed(new byte[] {llama[1]}));
        assertEquals("", d.feed(new byte[] {llama[2]}));
        assertEquals("🦙", d.feed(new byte[] {llama[3]}));
    }

    @Test
    void emptyPiecesChangeNothing() {
        final Utf8StreamDecoder d = new Utf8StreamDecoder();
        assertEquals("", d.feed(new byte[] {(byte) 0xE2, (byte) 0x82}));
        assertEquals("", d.feed(new byte[0]));
        assertEquals("€", d.feed(new byte[] {(byte) 0xAC}));
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        final Utf8StreamDecoder d = new Utf8StreamDecoder();
        // a stray continuation byte, an impossible lead byte, and a lead byte followed by ASCII
        assertEquals("a\uFFFDb\uFFFDc\uFFFDd", d.feed(new byte[] {'a', (byte) 0x80, 'b', (byte) 0xFF, 'c', (byte) 0xC3, 'd'}));
        // an invalid continuation discovered only in the next piece
        assertEquals("", d.feed(new byte[] {(byte) 0xE2}));
        assertEquals("\uFFFDx", d.feed(new byte[] {'x'}));
        // surrogates and overlongs are ill-formed
        assertEquals("\uFFFD\uFFFD\uFFFD", d.feed(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}));
        assertEquals("\uFFFD\uFFFD", d.feed(new byte[] {(byte) 0xC0, (byte) 0xAF}));
    }

    @Test
    void flushTurnsAnIncompleteTailIntoOneReplacementCharacter() {
        final Utf8StreamDecoder d = new Utf8StreamDecoder();
        assertEquals("ok", d.feed(new byte[] {'o', 'k', (byte) 0xF0, (byte) 0x9F, (byte) 0xA6}));
        assertEquals("\uFFFD", d.flush());
        assertEquals("", d.flush());
        assertEquals("z", d.feed(new byte[] {'z'}));
    }

    @Test
    void agreesWithTheJdkDecoderOnEverySplitOfMixedText() {
        final byte[] all = "añ€🦙\u0000\u00ff end".getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= all.length; cut++) {
            final Utf8StreamDecoder d = new Utf8StreamDecoder();
            final String out = d.feed(all, 0, cut) + d.feed(all, cut, all.length - cut) + d.flush();
            assertEquals(new String(all, StandardCharsets.UTF_8), out, "split at " + cut);
        }
    }
}
