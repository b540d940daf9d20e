package io.strata.kernels.cpu;

import io.strata.model.tensor.GgmlType;
import io.strata.model.tensor.QuantizedActivations;

/**
 * A batch of activation rows ({@code rows} x {@code cols} floats, row-major) that matrix products read, together
 * with the rows converted to each weight type's dot-product format (Q8_0, Q8_1, Q8_K, F16, BF16), made at most
 * once per change of the floats, as ggml converts src1 once per mul_mat. Call {@link #changed()} after writing.
 */
public final class Activations {
    private static final GgmlType[] FORMATS = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q8_1, GgmlType.Q8_K};

    private final int maxRows;
    private final int cols;
    private final float[] values;
    private final QuantizedActivations[] converted = new QuantizedActivations[FORMATS.length];
    private final int[] convertedRows = new int[FORMATS.length];
    private final int[] convertedVersion = new int[FORMATS.length];
    private final DotOperand[] operands = new DotOperand[FORMATS.length];
    private final int[] operandRows = new int[FORMATS.length];
    private final int[] operandVersion = new int[FORMATS.length];
    private int version = 1;
    private QuantizedActivations quantizing;
    private final ThreadTeam.RangeTask quantizeTask = this::quantizeRows;

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

    /**
     * The first {@code rows} rows in the format {@code weightType}'s dot product needs; row t starts at element
     * t * cols. Rows are whole blocks, so converting the flat range equals converting each row.
     */
    public QuantizedActivations convertedFor(GgmlType weightType, int rows) {
        return convertedFor(weightType, rows, null);
    }

    /**
     * {@link #convertedFor(GgmlType, int)}, a batch (more than one row) converted row by row on {@code team}'s
     * threads when it is not null: a 16-token step spent 2% of its time here on one thread.
     */
    public QuantizedActivations convertedFor(GgmlType weightType, int rows, ThreadTeam team) {
        GgmlType format = QuantizedActivations.vecDotType(weightType);
        int slot = slot(format);
        QuantizedActivations q = converted[slot];
        if (q == null) {
            q = new QuantizedActivations(format, values.length);
            converted[slot] = q;
        }
        if (convertedVersion[slot] != version || convertedRows[slot] < rows) {
            if (team != null && rows > 1 && team.size() > 1 && q.type().blockSize() > 1) {
                quantizing = q;
                team.parallelFor(rows, 1, quantizeTask);
                quantizing = null;
                q.quantizedLength(rows * cols);
            } else {
                q.quantize(values, 0, rows * cols);
            }
            convertedVersion[slot] = version;
            convertedRows[slot] = rows;
        }
        return q;
    }

    private void quantizeRows(int from, int to, int worker) {
        int perRow = cols / quantizing.type().blockSize();
        quantizing.quantizeBlocks(values, 0, from * perRow, to * perRow);
    }

    /**
     * The first {@code rows} rows as the row kernels of {@link MatMul} read them: {@link #convertedFor} plus, for the
     * int8 formats, the quants split for the vector kernels, refreshed at most once per change like the conversion.
     */
    public DotOperand operandFor(GgmlType weightType, int rows) {
        return operandFor(weightType, rows, true);
    }

    /**
     * {@link #operandFor(GgmlType, int)}; without {@code split} only the conversion is refreshed (the native
     * kernels read the converted quants and need none of the Vector API kernels' split layouts, whose making is a
     * pass over every activation of a prompt).
     */
    public DotOperand operandFor(GgmlType weightType, int rows, boolean split) {
        return operandFor(weightType, rows, split, null);
    }

    /** {@link #operandFor(GgmlType, int, boolean)}, converting a batch on {@code team} (see {@link #convertedFor}). */
    public DotOperand operandFor(GgmlType weightType, int rows, boolean split, ThreadTeam team) {
        QuantizedActivations q = convertedFor(weightType, rows, team);
        int slot = slot(q.type());
        DotOperand o = operands[slot];
        if (o == null) {
            o = new DotOperand(q, cols);
            operands[slot] = o;
        }
        if (split && (operandVersion[slot] != version || operandRows[slot] < rows)) {
            o.split(rows);
            operandVersion[slot] = version;
            operandRows[slot] = rows;
        }
        return o;
    }

    private static int slot(GgmlType format) {
        for (int i = 0; i < FORMATS.length; i++) {
            if (FORMATS[i] == format) {
                return i;
            }
        }
        throw new IllegalArgumentException(format + " is not an activation format");
    }
}
