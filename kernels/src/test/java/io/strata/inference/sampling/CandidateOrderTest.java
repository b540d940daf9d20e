package io.strata.inference.sampling;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CandidateOrderTest {

    @Test
    void keysRoundTripIdAndLogit() {
        for (final float logit : new float[] {0f, -0f, 1.5f, -1.5f, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
                -Float.MIN_VALUE}) {
            final long key = CandidateOrder.key(logit, 128255);
            assertEquals(128255, CandidateOrder.id(key));
            assertEquals(Float.floatToIntBits(logit), Float.floatToIntBits(CandidateOrder.logit(key)));
        }
    }

    /** Radix sort (whole lists) and heap selection (top-k) must agree exactly, ties included. */
    @Test
    void radixSortAndHeapSelectionGiveTheSameOrder() {
        final Random random = new Random(5);
        final int n = 5000;
        final int[] ids = new int[n];
        final float[] logits = new float[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i;
            // few distinct values so that ties are everywhere; negative, positive, zero and -inf
            logits[i] = random.nextInt(20) == 0 ? Float.NEGATIVE_INFINITY : (random.nextInt(200) - 100) / 8f;
        }
        final long[] heap = new long[n];
        for (int i = 0; i < n; i++) {
            heap[i] = CandidateOrder.key(logits[i], ids[i]);
        }
        CandidateOrder.heapify(heap, n);
        CandidateOrder.sortHeapDescending(heap, n);

        CandidateOrder.sortDescending(ids, logits, n, new long[n], new long[n], new int[CandidateOrder.RADIX_COUNTS]);
        final int[] heapIds = new int[n];
        final float[] heapLogits = new float[n];
        for (int i = 0; i < n; i++) {
            heapIds[i] = CandidateOrder.id(heap[i]);
            heapLogits[i] = CandidateOrder.logit(heap[i]);
        }
        assertArrayEquals(heapIds, ids);
        assertArrayEquals(heapLogits, logits);
        for (int i = 1; i < n; i++) {
            final boolean ordered = logits[i - 1] > logits[i] || (logits[i - 1] == logits[i] && ids[i - 1] < ids[i]);
            assertEquals(true, ordered, "position " + i);
        }
    }
}
