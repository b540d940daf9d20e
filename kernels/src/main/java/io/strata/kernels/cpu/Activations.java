package io.strata.kernels.cpu;

/**
 * A batch of activation rows ({@code rows} x {@code cols} floats, row-major) that matrix products read, together
 * with the rows converted to each weight type's dot-product format (Q8_0, Q8_1, Q8_K, F16, BF16), made at most
 * once per change of the floats, as ggml converts src1 once per mul_mat. Call {@link #changed()} after writing.
 */
public final class Activations {
    private final int maxRows;
    private final int cols;
    private final float[] values;
    private int version;

    public Activations(int maxRows, int cols) {
        this.maxRows = maxRows;
        this.cols = cols;
        this.values = new float[Math.multiplyExact(maxRows, cols)];
    }

    public float[] values() { return values; }

    public int cols() { return cols; }

    public int maxRows() { return maxRows; }

    /** Invalidates the converted copies. */
    public void changed() { version++; }

    int version() { return version; }
}
