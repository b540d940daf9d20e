package io.strata.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's byte-level alphabet: every byte is shown as one printable code point so that a BPE vocabulary can be
 * stored as text. Bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF stand for themselves; the other 68 bytes, in increasing
 * order, become U+0100, U+0101, ... U+0143 (so space is U+0120 'Ġ' and LF is U+010A 'Ċ').
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Inverse map indexed by code point (all mapped code points are below 0x144); -1 where unmapped. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            final boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            final char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The UTF-8 bytes of {@code word}, each replaced by its alphabet character. */
    static String encode(final String word) {
        final byte[] utf8 = word.getBytes(StandardCharsets.UTF_8);
        final char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        return new String(out);
    }

    /** The byte an alphabet code point stands for, or -1 if the code point is not in the alphabet. */
    static int byteOf(final int cp) {
        return cp >= 0 && cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
    }
}
