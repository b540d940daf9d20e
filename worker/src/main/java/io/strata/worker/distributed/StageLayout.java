package io.strata.worker.distributed;

import java.util.List;

/**
 * Where one replica's ranks are and what each runs: {@code stages} pipeline stages of {@code ranks} tensor-parallel
 * ranks, stage s running layers [layerStarts[s], layerStarts[s+1]), and the Aeron channel each rank receives on.
 * Stage 0 rank 0 is the head: it runs the scheduler and sends every step's batch to all others.
 *
 * <p>Streams on a rank's channel: {@link #BATCH_STREAM} from the head, {@link #HIDDEN_STREAM} from the previous
 * stage's rank 0, {@link #LOGITS_STREAM} (the head only: sampled tokens) from the last stage's rank 0,
 * {@link #SAMPLING_STREAM} (the last stage's rank 0 only: sequences starting to sample) from the head, and the
 * stage's all-reduce streams from {@link #COLLECTIVE_STREAM_BASE}.
 *
 * @param planVersion every frame carries it: a rank of another plan is refused
 * @param channels    by stage, then rank
 */
public record StageLayout(long planVersion, int stages, int ranks, int[] layerStarts, List<List<String>> channels) {
    public static final int BATCH_STREAM = 100;
    public static final int HIDDEN_STREAM = 200;
    public static final int LOGITS_STREAM = 300;
    public static final int SAMPLING_STREAM = 350;
    public static final int COLLECTIVE_STREAM_BASE = 1000;

    public StageLayout {
        if (stages < 1 || ranks < 1) {
            throw new IllegalArgumentException(stages + " stages x " + ranks + " ranks");
        }
        if (layerStarts.length != stages + 1) {
            throw new IllegalArgumentException("layerStarts needs " + (stages + 1) + " entries, got " + layerStarts.length);
        }
        for (int s = 0; s < stages; s++) {
            if (layerStarts[s] >= layerStarts[s + 1]) {
                throw new IllegalArgumentException("stage " + s + " has no layers");
            }
        }
        if (channels.size() != stages || channels.stream().anyMatch(c -> c.size() != ranks)) {
            throw new IllegalArgumentException("channels must list " + ranks + " ranks for each of " + stages + " stages");
        }
        layerStarts = layerStarts.clone();
        channels = channels.stream().map(List::copyOf).toList();
    }

    /** Layers split as evenly as they go. */
    public static int[] evenSplit(int layers, int stages) {
        int[] starts = new int[stages + 1];
        for (int s = 0; s <= stages; s++) {
            starts[s] = s * layers / stages;
        }
        return starts;
    }

    public int fromLayer(int stage) { return layerStarts[stage]; }

    public int toLayer(int stage) { return layerStarts[stage + 1]; }

    public String channel(int stage, int rank) { return channels.get(stage).get(rank); }

    public boolean isLast(int stage) { return stage == stages - 1; }
}
