package io.strata.worker.remote;

import io.strata.inference.sampling.SamplingParams;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.TokenChoice;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The request/token protocol between a coordinator and a replica's head worker, one Aeron message per event,
 * little-endian. Coordinator to head, on the head's channel, stream {@link #REQUEST_STREAM}: SUBMIT (a whole
 * {@link GenerationRequest} plus where to send its events), CANCEL, and HELLO (where this coordinator listens,
 * every {@link RemoteEngine#HELLO_INTERVAL_MILLIS} ms, so the head sends it STATS before any request). Head to coordinator, on the channel and
 * stream the SUBMIT named: SCHEDULED, TOKEN (id and, when asked for, log-probabilities), FINISHED, FAILED, and
 * STATS (the head's load, every {@link EngineEndpoint#STATS_INTERVAL_MILLIS} ms, which is also its heartbeat).
 * Each message starts with its type (int) and the request key (long) the coordinator chose. Decoders check every
 * length against the message and limit before reading: a malformed message is a {@link WireFormatException}.
 */
public final class EngineWire {
    public static final int REQUEST_STREAM = 400;
    /** Replies for replica r come on the coordinator's channel, stream REPLY_STREAM_BASE + r. */
    public static final int REPLY_STREAM_BASE = 500;

    public static final int SUBMIT = 1;
    public static final int CANCEL = 2;
    public static final int HELLO = 3;
    public static final int SCHEDULED = 10;
    public static final int TOKEN = 11;
    public static final int FINISHED = 12;
    public static final int FAILED = 13;
    public static final int STATS = 14;

    static final int MAX_STRING_BYTES = 4096;
    static final int HEADER = 12;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final FinishReason[] REASONS = FinishReason.values();

    private EngineWire() {}

    /** A message that does not parse: it names what was wrong. */
    public static final class WireFormatException extends RuntimeException {
        WireFormatException(String message) {
            super(message);
        }
    }

    public static int type(DirectBuffer b, int offset, int length) {
        need(length, HEADER, "message header");
        return b.getInt(offset, LE);
    }

    public static long key(DirectBuffer b, int offset) {
        return b.getLong(offset + 4, LE);
    }

    private static int header(MutableDirectBuffer b, int type, long key) {
        b.putInt(0, type, LE);
        b.putLong(4, key, LE);
        return HEADER;
    }

    // ---- coordinator to head

    /** SUBMIT; returns the message length. */
    public static int submit(MutableDirectBuffer b, long key, GenerationRequest r, String replyChannel, int replyStream) {
        int p = header(b, SUBMIT, key);
        SamplingParams s = r.sampling();
        b.putInt(p, r.maxTokens(), LE);
        b.putInt(p + 4, r.ignoreEos() ? 1 : 0, LE);
        b.putFloat(p + 8, s.temperature(), LE);
        b.putInt(p + 12, s.topK(), LE);
        b.putFloat(p + 16, s.topP(), LE);
        b.putFloat(p + 20, s.minP(), LE);
        b.putFloat(p + 24, s.repeatPenalty(), LE);
        b.putFloat(p + 28, s.frequencyPenalty(), LE);
        b.putFloat(p + 32, s.presencePenalty(), LE);
        b.putInt(p + 36, s.penaltyLastN(), LE);
        b.putLong(p + 40, s.seed(), LE);
        b.putInt(p + 48, s.logprobs(), LE);
        b.putInt(p + 52, replyStream, LE);
        p += 56;
        p = putString(b, p, r.id());
        p = putString(b, p, replyChannel);
        int[] prompt = r.prompt();
        b.putInt(p, prompt.length, LE);
        p += 4;
        for (int t : prompt) {
            b.putInt(p, t, LE);
            p += 4;
        }
        return p;
    }

    /** Bytes a SUBMIT of this many prompt tokens may need. */
    public static int submitCapacity(int promptTokens) {
        return HEADER + 56 + 2 * (4 + MAX_STRING_BYTES) + 4 + 4 * promptTokens;
    }

    /** A decoded SUBMIT. */
    public record Submit(long key, GenerationRequest request, String replyChannel, int replyStream) {}

    public static Submit readSubmit(DirectBuffer b, int offset, int length, int maxPromptTokens) {
        need(length, HEADER + 56, "SUBMIT");
        long key = key(b, offset);
        int p = offset + HEADER;
        int maxTokens = b.getInt(p, LE);
        boolean ignoreEos = b.getInt(p + 4, LE) != 0;
        SamplingParams s;
        try {
            s = new SamplingParams(b.getFloat(p + 8, LE), b.getInt(p + 12, LE), b.getFloat(p + 16, LE),
                    b.getFloat(p + 20, LE), b.getFloat(p + 24, LE), b.getFloat(p + 28, LE), b.getFloat(p + 32, LE),
                    b.getInt(p + 36, LE), b.getLong(p + 40, LE), b.getInt(p + 48, LE));
        } catch (IllegalArgumentException e) {
            throw new WireFormatException("SUBMIT has bad sampling parameters: " + e.getMessage());
        }
        int replyStream = b.getInt(p + 52, LE);
        int end = offset + length;
        p += 56;
        String id = readString(b, p, end, "request id");
        p += 4 + b.getInt(p, LE);
        String channel = readString(b, p, end, "reply channel");
        p += 4 + b.getInt(p, LE);
        need(end - p, 4, "prompt length");
        int n = b.getInt(p, LE);
        p += 4;
        if (n < 1 || n > maxPromptTokens || (long) n * 4 > end - p) {
            throw new WireFormatException("SUBMIT prompt of " + n + " tokens (at most " + maxPromptTokens + ", "
                    + (end - p) / 4 + " in the message)");
        }
        int[] prompt = new int[n];
        for (int i = 0; i < n; i++) {
            prompt[i] = b.getInt(p + 4 * i, LE);
        }
        try {
            return new Submit(key, new GenerationRequest(id, prompt, s, maxTokens, ignoreEos), channel, replyStream);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException("SUBMIT: " + e.getMessage());
        }
    }

    public static int cancel(MutableDirectBuffer b, long key) {
        return header(b, CANCEL, key);
    }

    public static int hello(MutableDirectBuffer b, String replyChannel, int replyStream) {
        int p = header(b, HELLO, 0);
        b.putInt(p, replyStream, LE);
        return putString(b, p + 4, replyChannel);
    }

    /** Where a HELLO's coordinator listens. */
    public record Hello(String replyChannel, int replyStream) {}

    public static Hello readHello(DirectBuffer b, int offset, int length) {
        need(length, HEADER + 8, "HELLO");
        return new Hello(readString(b, offset + HEADER + 4, offset + length, "reply channel"),
                b.getInt(offset + HEADER, LE));
    }

    // ---- head to coordinator

    public static int scheduled(MutableDirectBuffer b, long key, long queueNanos) {
        int p = header(b, SCHEDULED, key);
        b.putLong(p, queueNanos, LE);
        return p + 8;
    }

    public static long readScheduled(DirectBuffer b, int offset, int length) {
        need(length, HEADER + 8, "SCHEDULED");
        return b.getLong(offset + HEADER, LE);
    }

    /** TOKEN: the token, then (when {@code choice} is not null) its log-probability and the top alternatives. */
    public static int token(MutableDirectBuffer b, long key, int token, TokenChoice choice) {
        int p = header(b, TOKEN, key);
        b.putInt(p, token, LE);
        if (choice == null) {
            b.putInt(p + 4, -1, LE);
            return p + 8;
        }
        int n = choice.topTokens().length;
        b.putInt(p + 4, n, LE);
        b.putFloat(p + 8, choice.logprob(), LE);
        p += 12;
        for (int i = 0; i < n; i++) {
            b.putInt(p, choice.topTokens()[i], LE);
            b.putFloat(p + 4, choice.topLogprobs()[i], LE);
            p += 8;
        }
        return p;
    }

    public static int readToken(DirectBuffer b, int offset, int length) {
        need(length, HEADER + 8, "TOKEN");
        return b.getInt(offset + HEADER, LE);
    }

    /** The TOKEN's log-probabilities, or null when it carries none. */
    public static TokenChoice readChoice(DirectBuffer b, int offset, int length) {
        int p = offset + HEADER;
        int n = b.getInt(p + 4, LE);
        if (n < 0) {
            return null;
        }
        if (n > SamplingParams.MAX_LOGPROBS || length < HEADER + 12 + 8 * n) {
            throw new WireFormatException("TOKEN with " + n + " alternatives in " + length + " bytes");
        }
        int[] ids = new int[n];
        float[] lps = new float[n];
        for (int i = 0; i < n; i++) {
            ids[i] = b.getInt(p + 12 + 8 * i, LE);
            lps[i] = b.getFloat(p + 16 + 8 * i, LE);
        }
        return new TokenChoice(b.getInt(p, LE), b.getFloat(p + 8, LE), ids, lps);
    }

    public static int finished(MutableDirectBuffer b, long key, FinishReason reason, int promptTokens, int generated) {
        int p = header(b, FINISHED, key);
        b.putInt(p, reason.ordinal(), LE);
        b.putInt(p + 4, promptTokens, LE);
        b.putInt(p + 8, generated, LE);
        return p + 12;
    }

    public record Finished(FinishReason reason, int promptTokens, int generatedTokens) {}

    public static Finished readFinished(DirectBuffer b, int offset, int length) {
        need(length, HEADER + 12, "FINISHED");
        int p = offset + HEADER;
        int r = b.getInt(p, LE);
        if (r < 0 || r >= REASONS.length) {
            throw new WireFormatException("FINISHED with unknown reason " + r);
        }
        return new Finished(REASONS[r], b.getInt(p + 4, LE), b.getInt(p + 8, LE));
    }

    public static int failed(MutableDirectBuffer b, long key, String message) {
        return putString(b, header(b, FAILED, key), message);
    }

    public static String readFailed(DirectBuffer b, int offset, int length) {
        return readString(b, offset + HEADER, offset + length, "failure message");
    }

    /** STATS: the head's load; {@code lastStepAgeNanos} is how long ago its last step ended (-1: none yet). */
    public static int stats(MutableDirectBuffer b, int running, int waiting, double kvUsage, long steps,
                            long lastStepAgeNanos, int capacity) {
        int p = header(b, STATS, 0);
        b.putInt(p, running, LE);
        b.putInt(p + 4, waiting, LE);
        b.putDouble(p + 8, kvUsage, LE);
        b.putLong(p + 16, steps, LE);
        b.putLong(p + 24, lastStepAgeNanos, LE);
        b.putInt(p + 32, capacity, LE);
        return p + 36;
    }

    public record Stats(int running, int waiting, double kvUsage, long steps, long lastStepAgeNanos, int capacity) {}

    public static Stats readStats(DirectBuffer b, int offset, int length) {
        need(length, HEADER + 36, "STATS");
        int p = offset + HEADER;
        return new Stats(b.getInt(p, LE), b.getInt(p + 4, LE), b.getDouble(p + 8, LE), b.getLong(p + 16, LE),
                b.getLong(p + 24, LE), b.getInt(p + 32, LE));
    }

    // ---- strings: int length, UTF-8 bytes, truncated to MAX_STRING_BYTES

    private static int putString(MutableDirectBuffer b, int p, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(bytes.length, MAX_STRING_BYTES);
        b.putInt(p, n, LE);
        b.putBytes(p + 4, bytes, 0, n);
        return p + 4 + n;
    }

    private static String readString(DirectBuffer b, int p, int end, String what) {
        need(end - p, 4, what + " length");
        int n = b.getInt(p, LE);
        if (n < 0 || n > MAX_STRING_BYTES || n > end - p - 4) {
            throw new WireFormatException(what + " of " + n + " bytes does not fit the message");
        }
        byte[] bytes = new byte[n];
        b.getBytes(p + 4, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void need(int have, int want, String what) {
        if (have < want) {
            throw new WireFormatException(what + " needs " + want + " bytes, the message has " + have);
        }
    }
}
