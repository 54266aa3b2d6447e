package dev.veil.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The int8 ring graphs (MatMulInteger on 7-bit limbs, {@link OnnxWriter#ringBytes64}, {@link OnnxWriter#ringBytes32})
 * against Java's wrap-around arithmetic: full-range random inputs and weights, the ring's and the weights' extremes,
 * and the worst case for the u8×s8 kernels' int16 pair sums and int32 sums: every limb 127 (x = −1) against every
 * weight at its largest magnitude, at the widest matrix the graph takes (2^16 inputs).
 */
class ByteLimbGraphTest {
    @Test
    void z64BitForBitOnFullRangeInputs(@TempDir Path dir) throws Exception {
        var rnd = new SplittableRandom(5);
        int cols = 301, rows = 37;
        short[] w = new short[cols * rows];
        for (int k = 0; k < w.length; k++) w[k] = (short) (rnd.nextInt(65535) - 32767);
        w[0] = 32767;
        w[1] = -32767;
        w[2] = 0;
        w[3] = 16384; // w_2 = 1
        w[4] = -16385; // w_2 = −2
        long[] x = rnd.longs(7L * cols).toArray();
        long[] edges = {-1, Long.MIN_VALUE, Long.MAX_VALUE, 0, 1, 127, 128};
        System.arraycopy(edges, 0, x, 0, edges.length);
        check64(dir.resolve("random.onnx"), x, w, cols, rows);
    }

    @Test
    void z64WorstCaseSumsAtTheWidestMatrix(@TempDir Path dir) throws Exception {
        int cols = 1 << 16, rows = 3;
        short[] w = new short[cols * rows];
        for (int i = 0; i < cols; i++) {
            w[i * rows] = 32767; // limbs 127, 127, 1
            w[i * rows + 1] = -32767; // limbs 1, 0, −2
            w[i * rows + 2] = (short) (i % 2 == 0 ? 32767 : -32767);
        }
        long[] x = new long[2 * cols];
        java.util.Arrays.fill(x, 0, cols, -1L); // every limb 127
        java.util.Arrays.fill(x, cols, 2 * cols, Long.MAX_VALUE);
        check64(dir.resolve("wide.onnx"), x, w, cols, rows);
    }

    @Test
    void z32BitForBitOnFullRangeInputsAndTheWorstCase(@TempDir Path dir) throws Exception {
        var rnd = new SplittableRandom(6);
        for (int cols : new int[] {211, 1 << 16}) {
            int rows = 29;
            byte[] w = new byte[cols * rows];
            for (int k = 0; k < w.length; k++) w[k] = (byte) (rnd.nextInt(255) - 127);
            for (int k = 0; k < cols; k++) w[k * rows] = 127; // a column of the largest weight
            int[] x = rnd.ints(5L * cols).toArray();
            java.util.Arrays.fill(x, 0, cols, -1); // every limb at its largest
            int[] edges = {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, 1};
            System.arraycopy(edges, 0, x, cols, edges.length);
            Path file = dir.resolve("z32-" + cols + ".onnx");
            OnnxWriter.ringBytes32(file, "bytes32", cols, rows, w.length, o -> o.write(w), null);
            int n = x.length / cols;
            int[] expected = new int[n * rows];
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < rows; j++) {
                    int s = 0;
                    for (int i = 0; i < cols; i++) s += x[r * cols + i] * w[i * rows + j]; // wraps modulo 2^32
                    expected[r * rows + j] = s;
                }
            }
            assertArrayEquals(expected, OrtIntegerMatMulTest.run(file, x, n, cols, rows), "cols " + cols);
        }
    }

    /** Writes the int8 Z_2^64 graph of int16 weights {@code w} [cols, rows] and checks it on {@code x} against Java's longs. */
    private static void check64(Path file, long[] x, short[] w, int cols, int rows) throws Exception {
        byte[] int16 = new byte[2 * w.length];
        for (int k = 0; k < w.length; k++) {
            int16[2 * k] = (byte) w[k];
            int16[2 * k + 1] = (byte) (w[k] >> 8);
        }
        byte[] limbs = Exporter.byteLimbs(int16, rows, cols);
        OnnxWriter.ringBytes64(file, "bytes64", cols, rows, limbs.length, o -> o.write(limbs), null);
        int n = x.length / cols;
        long[] expected = new long[n * rows];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < rows; j++) {
                long s = 0;
                for (int i = 0; i < cols; i++) s += x[r * cols + i] * w[i * rows + j]; // wraps modulo 2^64
                expected[r * rows + j] = s;
            }
        }
        assertArrayEquals(expected, OrtIntegerMatMulTest.run(file, x, n, cols, rows));
    }
}
