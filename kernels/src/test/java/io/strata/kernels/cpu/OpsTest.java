package io.strata.kernels.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OpsTest {

    /** ggml_vec_dot_f32's AVX2 order written out lane by lane in scalar code: the reference for {@link Ops#dot}. */
    private static float ggmlOrderDot(float[] a, int aOff, float[] b, int bOff, int n) {
        int whole = n & ~31;
        float sum = 0f;
        if (whole > 0) {
            float[] r = new float[8];
            for (int l = 0; l < 8; l++) {
                float acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
                for (int c = 0; c < whole; c += 32) {
                    acc0 = Math.fma(a[aOff + c + l], b[bOff + c + l], acc0);
                    acc1 = Math.fma(a[aOff + c + l + 8], b[bOff + c + l + 8], acc1);
                    acc2 = Math.fma(a[aOff + c + l + 16], b[bOff + c + l + 16], acc2);
                    acc3 = Math.fma(a[aOff + c + l + 24], b[bOff + c + l + 24], acc3);
                }
                r[l] = (acc0 + acc2) + (acc1 + acc3);
            }
            sum = ((r[0] + r[4]) + (r[1] + r[5])) + ((r[2] + r[6]) + (r[3] + r[7]));
        }
        for (int i = whole; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    @Test
    void dotSumsInGgmlVecDotF32OrderForEveryLengthAndOffset() {
        Random rnd = new Random(5);
        float[] a = new float[700];
        float[] b = new float[700];
        for (int i = 0; i < a.length; i++) {
            // magnitudes far apart, so that any other summation order rounds differently
            a[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
            b[i] = (float) rnd.nextGaussian();
        }
        for (int n : new int[]{0, 1, 8, 31, 32, 33, 64, 100, 128, 255, 256, 300}) {
            for (int off : new int[]{0, 3, 17}) {
                float expected = ggmlOrderDot(a, off, b, 2 * off, n);
                float actual = Ops.dot(a, off, b, 2 * off, n);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                        "n " + n + " offset " + off + ": reference " + expected + ", Ops.dot " + actual);
            }
        }
    }
}
