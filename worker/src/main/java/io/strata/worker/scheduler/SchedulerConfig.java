package io.strata.worker.scheduler;

/**
 * How the continuous-batching scheduler shares one model among requests (llama-server's {@code --parallel},
 * {@code --ctx-size} per slot, {@code --batch-size}; vLLM's {@code max_num_seqs}, {@code max_num_batched_tokens}).
 *
 * @param slots           sequences that run at once, each with its own KV cache
 * @param contextSize     positions of each slot's KV cache: prompt + generated tokens of one request
 * @param stepTokenBudget tokens per forward pass: every running decode takes one, prompt chunks share the rest
 * @param maxWaiting      requests that may queue when every slot is taken; beyond it, submit refuses (HTTP 429)
 * @param threads         compute threads of the forward pass
 */
public record SchedulerConfig(int slots, int contextSize, int stepTokenBudget, int maxWaiting, int threads) {
    public SchedulerConfig {
        if (slots < 1) {
            throw new IllegalArgumentException("slots (parallel sequences) must be at least 1, got " + slots);
        }
        if (contextSize < 2) {
            throw new IllegalArgumentException("contextSize must be at least 2 tokens, got " + contextSize);
        }
        if (stepTokenBudget < slots) {
            throw new IllegalArgumentException("stepTokenBudget (" + stepTokenBudget + ") must be at least the number of slots ("
                    + slots + "): every running sequence decodes one token per step");
        }
        if (maxWaiting < 0) {
            throw new IllegalArgumentException("maxWaiting must be >= 0, got " + maxWaiting);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
    }

    /** Defaults for a model whose training context is {@code modelContext}: 8 slots of up to 2048 positions. */
    public static SchedulerConfig defaults(int modelContext) {
        return new SchedulerConfig(8, Math.min(modelContext, 2048), 512, 256, Runtime.getRuntime().availableProcessors());
    }
}
