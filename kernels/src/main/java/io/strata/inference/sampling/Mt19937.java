package io.strata.inference.sampling;

/**
 * The 32-bit Mersenne Twister exactly as C++'s {@code std::mt19937}, so a seed reproduces llama.cpp's draws.
 * Not thread-safe; each {@link Sampler} owns one.
 */
public final class Mt19937 {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;
    private static final double TWO_POW_32 = 4294967296.0;
    private static final double TWO_POW_64 = 18446744073709551616.0;

    private final int[] state = new int[N];
    private int index;

    /** Seeded with the low 32 bits of {@code seed}, as {@code std::mt19937(seed)} reduces its argument mod 2^32. */
    public Mt19937(final long seed) {
        seed(seed);
    }

    /** Restarts the sequence from {@code seed} (low 32 bits). */
    public void seed(final long seed) {
        state[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            final int previous = state[i - 1];
            state[i] = 1812433253 * (previous ^ (previous >>> 30)) + i; // int arithmetic is mod 2^32
        }
        index = N;
    }

    /** Next output as a Java int (the same 32 bits as the unsigned C++ value). */
    public int nextInt() {
        if (index >= N) {
            twist();
        }
        int y = state[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** Next output as the unsigned value C++ returns, in [0, 2^32). */
    public long nextUnsigned() {
        return Integer.toUnsignedLong(nextInt());
    }

    /**
     * libstdc++'s {@code std::generate_canonical<double, 53>} over this engine: two outputs g1 then g2,
     * {@code (g1 + g2 * 2^32) / 2^64} in double, with a result of 1 replaced by the largest double below 1.
     */
    public double nextCanonicalDouble() {
        final double low = nextUnsigned();
        final double high = nextUnsigned();
        final double u = (low + high * TWO_POW_32) / TWO_POW_64;
        return u >= 1.0 ? Math.nextDown(1.0) : u;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            final int y = (state[i] & UPPER_MASK) | (state[(i + 1) % N] & LOWER_MASK);
            state[i] = state[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        index = 0;
    }
}
