package io.strata.inference.sampling;

/**
 * Orders candidates by logit, highest first, then by lower token id, with primitive arrays only (no boxing, no
 * comparator, no allocation). llama.cpp leaves the order of equal logits unspecified; lowest id first makes ties
 * deterministic and agrees with greedy argmax.
 *
 * <p>Two tools: a min-heap over packed {@code long} keys to select the best k of n in O(n log k) (top-k, top
 * log-probabilities), and a stable radix sort for ordering a whole list in O(n) (a 128k vocabulary sorts in about
 * a millisecond, where the heap takes over ten).
 *
 * <p>Heap key layout: high 32 bits = the logit's bits mapped to a signed int with the same order as the floats; low
 * 32 bits = {@code Integer.MAX_VALUE - id}, so that among equal logits the lower id has the larger key.
 */
final class CandidateOrder {
    private CandidateOrder() {
    }

    static long key(final float logit, final int id) {
        return ((long) orderedBits(logit) << 32) | (Integer.MAX_VALUE - id);
    }

    static int id(final long key) {
        return Integer.MAX_VALUE - (int) key;
    }

    static float logit(final long key) {
        return Float.intBitsToFloat(orderedBits((int) (key >> 32)));
    }

    /** Float bits to an int with the same order (negative floats: flip the magnitude bits). */
    private static int orderedBits(final float value) {
        return orderedBits(Float.floatToIntBits(value));
    }

    /** The order-preserving map on raw bits; it is its own inverse. */

    private static int orderedBits(final int bits) {
        return bits ^ ((bits >> 31) & Integer.MAX_VALUE);
    }

    /** Turns {@code heap[0..size)} into a min-heap. */
    static void heapify(final long[] heap, final int size) {
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(heap, size, i);
        }
    }

    /** Restores the min-heap property below {@code i}. */
    static void siftDown(final long[] heap, final int size, final int i) {
        final long value = heap[i];
        int at = i;
        while (true) {
            int child = 2 * at + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= value) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = value;
    }

    /** Heap sort of a min-heap: afterwards {@code heap[0..size)} is in descending order (best candidate first). */
    static void sortHeapDescending(final long[] heap, final int size) {
        for (int end = size - 1; end > 0; end--) {
            final long smallest = heap[0];
            heap[0] = heap[end];
            heap[end] = smallest;
            siftDown(heap, end, 0);
        }
    }

    /**
     * Keeps the {@code keep} largest keys of a stream in {@code heap[0..keep)}: offer each key after the first
     * {@code keep} (which the caller heapifies) through this method.
     */
    static void offer(final long[] heap, final int keep, final long key) {
        if (key > heap[0]) {
            heap[0] = key;
            siftDown(heap, keep, 0);
        }
    }

    /** Size of the counting table {@link #sortDescending} needs. */
    static final int RADIX_COUNTS = 4 * 256;

    /**
     * Sorts {@code ids[0..count)} with their {@code logits} by descending logit: an LSD radix sort on the 32 bits of
     * the logit, stable, so candidates given in ascending id order (as the sampler always gives them) end up with
     * ties in ascending id order, the same order as the heap keys.
     *
     * @param keys   scratch, at least {@code count} long
     * @param buffer scratch, at least {@code count} long
     * @param counts scratch, {@link #RADIX_COUNTS} ints
     */
    static void sortDescending(final int[] ids, final float[] logits, final int count, final long[] keys,
                               final long[] buffer, final int[] counts) {
        java.util.Arrays.fill(counts, 0);
        for (int i = 0; i < count; i++) {
            // Descending logit = ascending unsigned value of orderedBits ^ MAX_VALUE; that goes in the high half,
            // the id rides along in the low half.
            final int descending = orderedBits(logits[i]) ^ Integer.MAX_VALUE;
            keys[i] = ((long) descending << 32) | ids[i];
            for (int pass = 0; pass < 4; pass++) {
                counts[pass * 256 + ((descending >>> (8 * pass)) & 0xFF)]++;
            }
        }
        long[] from = keys;
        long[] to = buffer;
        for (int pass = 0; pass < 4; pass++) {
            final int base = pass * 256;
            final int shift = 32 + 8 * pass;
            if (counts[base + (int) ((from[0] >>> shift) & 0xFF)] == count) {
                continue; // every key has the same byte here: the pass would not move anything
            }
            int offset = 0;
            for (int b = 0; b < 256; b++) {
                final int bucket = counts[base + b];
                counts[base + b] = offset;
                offset += bucket;
            }
            for (int i = 0; i < count; i++) {
                final long key = from[i];
                to[counts[base + (int) ((key >>> shift) & 0xFF)]++] = key;
            }
            final long[] swap = from;
            from = to;
            to = swap;
        }
        for (int i = 0; i < count; i++) {
            final long key = from[i];
            ids[i] = (int) key;
            logits[i] = Float.intBitsToFloat(orderedBits(((int) (key >>> 32)) ^ Integer.MAX_VALUE));
        }
    }
}
