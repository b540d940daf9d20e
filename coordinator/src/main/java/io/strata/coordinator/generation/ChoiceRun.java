package io.strata.coordinator.generation;

import io.strata.coordinator.metrics.ServingMetrics;
import io.strata.model.tokenizer.Tokenizer;
import io.strata.coordinator.api.ApiException;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.Submission;
import io.strata.worker.engine.TokenChoice;
import io.vertx.core.Context;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One choice in flight: the engine's token events, hopped onto the request's event-loop context, become text
 * (UTF-8 and stop strings handled by {@link TokenText}) for a {@link ChoiceSink}. A matched stop string cancels the
 * engine's sequence at once, so it frees its KV cache without generating further.
 */
public final class ChoiceRun implements GenerationListener {
    private final int index;
    private final GenerationSpec spec;
    private final Context context;
    private final ChoiceSink sink;
    private final TokenText text;
    private final Tokenizer tokenizer;
    private final ServingMetrics metrics;
    private final long startNanos;
    private volatile Submission submission;
    private boolean ended;       // context thread only
    private int tokens;
    private long lastTokenNanos;
    private long firstTokenNanos;

    public ChoiceRun(int index, GenerationSpec spec, Context context, ChoiceSink sink, Tokenizer tokenizer,
                     ServingMetrics metrics, long startNanos) {
        this.index = index;
        this.spec = spec;
        this.context = context;
        this.sink = sink;
        this.tokenizer = tokenizer;
        this.text = new TokenText(tokenizer, new StopMatcher(spec.stop()));
        this.metrics = metrics;
        this.startNanos = startNanos;
    }

    public void started(Submission s) {
        this.submission = s;
    }

    public void cancel() {
        Submission s = submission;
        if (s != null) {
            s.cancel();
        }
    }

    public GenerationSpec spec() { return spec; }

    /** System.nanoTime() when the first token arrived, 0 before. */
    public long firstTokenNanos() { return firstTokenNanos; }

    /** The text released so far. */
    public String text() { return text.text(); }

    @Override
    public void onScheduled(long queueNanos) {
        metrics.queueTime(queueNanos);
    }

    @Override
    public void onToken(int token, TokenChoice logprobs) {
        long now = System.nanoTime();
        context.runOnContext(v -> token(token, logprobs, now));
    }

    @Override
    public void onFinished(FinishReason reason, int promptTokens, int generatedTokens) {
        context.runOnContext(v -> finished(reason));
    }

    @Override
    public void onFailed(String message) {
        context.runOnContext(v -> {
            if (!ended) {
                ended = true;
                sink.onError(index, ApiException.internal(message));
            }
        });
    }

    private void token(int token, TokenChoice choice, long at) {
        if (ended) {
            return;
        }
        tokens++;
        if (tokens == 1) {
            firstTokenNanos = at;
            metrics.timeToFirstToken(at - startNanos);
        } else {
            metrics.interTokenLatency(at - lastTokenNanos);
        }
        lastTokenNanos = at;
        String released = text.push(token);
        List<LogprobEntry> lp = choice == null || !spec.wantLogprobs() ? List.of() : List.of(entry(choice));
        if (text.stopped()) {
            ended = true;
            cancel();
            emit(released, lp);
            end("stop");
            return;
        }
        emit(released, lp);
    }

    private void finished(FinishReason reason) {
        if (ended) {
            return;
        }
        ended = true;
        String rest = text.finish();
        emit(rest, List.of());
        end(switch (reason) {
            case END_OF_GENERATION -> "stop";
            case LENGTH, CONTEXT_FULL -> "length";
            case CANCELLED -> "abort";
        });
    }

    private void emit(String released, List<LogprobEntry> lp) {
        if (!released.isEmpty() || !lp.isEmpty()) {
            sink.onText(index, released, lp);
        }
    }

    private void end(String finishReason) {
        metrics.tokens(spec.prompt().length, tokens);
        sink.onEnd(index, finishReason, spec.prompt().length, tokens);
    }

    private LogprobEntry entry(TokenChoice c) {
        List<LogprobEntry.Alternative> top = new ArrayList<>();
        for (int i = 0; i < Math.min(spec.topLogprobs(), c.topTokens().length); i++) {
            byte[] b = tokenizer.piece(c.topTokens()[i], false);
            top.add(new LogprobEntry.Alternative(c.topTokens()[i], pieceText(b), b, c.topLogprobs()[i]));
        }
        byte[] b = tokenizer.piece(c.token(), false);
        return new LogprobEntry(c.token(), pieceText(b), b, c.logprob(), top);
    }

    /** One token's text alone, for log-probabilities (a partial UTF-8 character replaced). */
    private static String pieceText(byte[] piece) {
        return new String(piece, StandardCharsets.UTF_8);
    }
}
