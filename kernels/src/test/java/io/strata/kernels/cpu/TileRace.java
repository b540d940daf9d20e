package io.strata.kernels.cpu;

import io.strata.model.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * The wide tile kernels against the kernels they replace, interleaved in one JVM on one thread with the matrix in
 * cache (1024 x 2048), so a neighbour's load hits both alike: best ns per (row, token) for decode (the repacked
 * Q4_0 row tile against the single-row GEMV) and for an 8-token tile against four two-token tiles. Not a test and
 * not a benchmark harness (the bench module has those); prints one line per type.
 *
 * <pre>
 * ./mvnw -q -o test-compile -pl kernels
 * java --add-modules jdk.incubator.vector -cp kernels/target/classes:kernels/target/test-classes:model/target/classes \
 *     io.strata.kernels.cpu.TileRace
 * </pre>
 */
public final class TileRace {
    private interface Body {
        void run();
    }

    static double best(Body b, int reps, double work) {
        double bestNs = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            b.run();
            bestNs = Math.min(bestNs, (System.nanoTime() - t) / work);
        }
        return bestNs;
    }

    public static void main(String[] args) {
        int rows = 1024, cols = 2048, tokens = 8;
        Random rnd = new Random(1);
        for (GgmlType type : new GgmlType[]{GgmlType.Q8_0, GgmlType.Q4_0}) {
            MemorySegment w = WeightRows.random(type, rows, cols, rnd, 0.02f);
            long rb = type.byteSize(cols);
            Activations a = WeightRows.gaussian(tokens, cols, rnd);
            DotOperand x = a.operandFor(type, tokens);
            float[] out = new float[tokens * rows];
            boolean q8 = type == GgmlType.Q8_0;
            // Q8_0 has no row tile: its decode line times the single-row kernel twice
            Body oldDecode = q8 ? () -> { for (int r = 0; r < rows; r++) out[r] = VectorLegacyDots.q8_0(w, r * rb, x, 0); }
                                : () -> { for (int r = 0; r < rows; r++) out[r] = VectorLegacyDots.q4_0Repacked(w, r * rb, x, 0); };
            Body newDecode = q8 ? oldDecode
                                : () -> { for (int r = 0; r < rows; r += VectorRowTileDots.ROWS) VectorRowTileDots.q4_0Repacked(w, r * rb, (r + 2) * rb, rb, x, 0, out, r, r + 2); };
            Body oldPrefill = q8 ? () -> { for (int r = 0; r < rows; r++) for (int t = 0; t < 8; t += 2) VectorLegacyDots.q8_0x2(w, r * rb, x, t, out, t * rows + r, rows); }
                                 : () -> { for (int r = 0; r < rows; r++) for (int t = 0; t < 8; t += 2) VectorLegacyDots.q4_0Repackedx2(w, r * rb, x, t, out, t * rows + r, rows); };
            Body newPrefill = q8 ? () -> { for (int r = 0; r < rows; r++) VectorTileDots.q8_0Tile(w, r * rb, x, 0, out, r, rows); }
                                 : () -> { for (int r = 0; r < rows; r++) VectorTileDots.q4_0Repackedx8(w, r * rb, x, 0, out, r, rows); };
            for (int i = 0; i < 300; i++) { oldDecode.run(); newDecode.run(); oldPrefill.run(); newPrefill.run(); }
            double od = 1e9, nd = 1e9, op = 1e9, np = 1e9;
            for (int round = 0; round < 20; round++) {
                od = Math.min(od, best(oldDecode, 20, rows));
                nd = Math.min(nd, best(newDecode, 20, rows));
                op = Math.min(op, best(oldPrefill, 5, rows * 8.0));
                np = Math.min(np, best(newPrefill, 5, rows * 8.0));
            }
            double bytesPerRow = rb;
            System.out.printf("%s%s: decode old %.1f ns/row (%.1f GB/s) new %.1f ns/row (%.1f GB/s) x%.2f | 8-token old %.1f ns/(row,token) new %.1f x%.2f%n",
                    type, q8 ? "" : " repacked", od, bytesPerRow / od, nd, bytesPerRow / nd, od / nd, op, np, op / np);
        }
    }
}
