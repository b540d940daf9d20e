package io.strata.kernels.cpu;

import io.strata.model.tensor.GgmlType;
import io.strata.model.tensor.QuantizedActivations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

@Timeout(60)
class ActivationsTest {

    @Test
    void aBatchConvertedOnTheTeamEqualsTheSerialConversion() {
        int cols = 512;
        Random rnd = new Random(11);
        try (ThreadTeam team = new ThreadTeam(2)) {
            for (GgmlType weights : new GgmlType[]{GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q4_1}) {
                for (int rows : new int[]{2, 3, 7, 16}) {
                    Activations a = new Activations(16, cols);
                    for (int i = 0; i < rows * cols; i++) {
                        a.values()[i] = (float) rnd.nextGaussian() * (i % 97 == 0 ? 40f : 1f);
                    }
                    a.changed();
                    QuantizedActivations parallel = a.convertedFor(weights, rows, team);
                    QuantizedActivations serial = new QuantizedActivations(parallel.type(), 16 * cols);
                    serial.quantize(a.values(), 0, rows * cols);
                    String what = weights + " x " + parallel.type() + ", " + rows + " rows";
                    assertEquals(serial.length(), parallel.length(), what);
                    int blocks = rows * cols / parallel.type().blockSize();
                    for (int b = 0; b < blocks; b++) {
                        assertEquals(Float.floatToIntBits(serial.scale(b)), Float.floatToIntBits(parallel.scale(b)),
                                what + ", scale of block " + b);
                    }
                    for (int i = 0; i < rows * cols; i++) {
                        assertEquals(serial.quant(i), parallel.quant(i), what + ", quant " + i);
                    }
                    if (parallel.blockSumsArray() != null) {
                        for (int b = 0; b < blocks; b++) {
                            assertEquals(Float.floatToIntBits(serial.blockSum(b)),
                                    Float.floatToIntBits(parallel.blockSum(b)), what + ", sum of block " + b);
                        }
                    }
                    if (parallel.groupSumsArray() != null) {
                        for (int k = 0; k < rows * cols / 16; k++) {
                            assertEquals(serial.groupSum(k), parallel.groupSum(k), what + ", group sum " + k);
                        }
                    }
                }
            }
        }
    }
}
