package io.strata.model.tokenizer;

/**
 * Turns a stream of token pieces into text. A byte-level or byte-fallback token can end in the middle of a UTF-8
 * character; such a trailing incomplete sequence is held back until the next piece completes it. Invalid bytes
 * become U+FFFD, one per maximal ill-formed subsequence (as {@link java.nio.charset.CharsetDecoder} does). Not
 * thread-safe: one decoder per output stream. Apart from the returned strings it allocates nothing.
 */
public final class Utf8StreamDecoder {
    private static final char REPLACEMENT = '\uFFFD';
    private static final int INCOMPLETE = -1;

    /** Bytes of an incomplete character carried over from the previous piece (at most 3). */
    private final byte[] pending = new byte[3];
    private int pendingLength;
    /** Held-back bytes followed by the new piece; grows only when a piece is longer than any before. */
    private byte[] work = new byte[64];
    private final StringBuilder text = new StringBuilder(64);

    /** The complete characters available after appending {@code piece}. */
    public String feed(final byte[] piece) {
        return feed(piece, 0, piece.length);
    }

    public String feed(final byte[] piece, final int offset, final int length) {
        final int total = pendingLength + length;
        if (work.length < total) {
            work = new byte[Math.max(total, 2 * work.length)];
        }
        System.arraycopy(pending, 0, work, 0, pendingLength);
        System.arraycopy(piece, offset, work, pendingLength, length);
        pendingLength = 0;
        text.setLength(0);
        decodeInto(work, 0, total, false);
        return text.toString();
    }

    /** Whatever is still held back, as U+FFFD; the decoder is then empty. */
    public String flush() {
        text.setLength(0);
        if (pendingLength > 0) {
            decodeInto(pending, 0, pendingLength, true);
            pendingLength = 0;
        }
        return text.toString();
    }

    /** Forgets any held-back bytes. */
    public void reset() {
        pendingLength = 0;
    }

    /** Decodes [from, to) into {@link #text}; an incomplete tail is kept in {@link #pending} unless final. */
    private void decodeInto(final byte[] b, final int from, final int to, final boolean isFinal) {
        int i = from;
        while (i < to) {
            final int status = decodeOne(b, i, to, isFinal);
            if (status == INCOMPLETE) {
                pendingLength = to - i;
                System.arraycopy(b, i, pending, 0, pendingLength);
                return;
            }
            i += status;
        }
    }

    /**
     * Decodes the character at b[i] into {@link #text} and returns how many bytes it used, or {@link #INCOMPLETE}
     * when the bytes run out before the character is complete.
     */
    private int decodeOne(final byte[] b, final int i, final int to, final boolean isFinal) {
        final int b0 = b[i] & 0xFF;
        if (b0 < 0x80) {
            text.append((char) b0);
            return 1;
        }
        final int need;
        int cp;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
            cp = b0 & 0x1F;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            cp = b0 & 0x0F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            cp = b0 & 0x07;
        } else {
            text.append(REPLACEMENT); // continuation byte or a lead byte that is never valid
            return 1;
        }
        for (int k = 1; k <= need; k++) {
            if (i + k >= to) {
                if (isFinal) {
                    text.append(REPLACEMENT); // the truncated sequence counts as one ill-formed subsequence
                    return k;
                }
                return INCOMPLETE;
            }
            final int bk = b[i + k] & 0xFF;
            if (!validContinuation(b0, k, bk)) {
                text.append(REPLACEMENT);
                return k;
            }
            cp = (cp << 6) | (bk & 0x3F);
        }
        text.appendCodePoint(cp);
        return need + 1;
    }

    /** Continuation byte ranges of well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
    private static boolean validContinuation(final int lead, final int index, final int b) {
        if (index == 1) {
            return switch (lead) {
                case 0xE0 -> b >= 0xA0 && b <= 0xBF;
                case 0xED -> b >= 0x80 && b <= 0x9F;
                case 0xF0 -> b >= 0x90 && b <= 0xBF;
                case 0xF4 -> b >= 0x80 && b <= 0x8F;
                default -> b >= 0x80 && b <= 0xBF;
            };
        }
        return b >= 0x80 && b <= 0xBF;
    }
}
