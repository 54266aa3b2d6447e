package dev.veil.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Vectorized kernels against their scalar twins and against a float64 reference matrix product. */
@Tag("vector")
class TensorKernelTest {
    /** Every type the engine reads. */
    static java.util.Set<GGMLType> types() {
        return GGMLType.SUPPORTED;
    }

    /** A tensor of random bytes (every bit pattern of levels and sub-scales) with sane half-precision scales. */
    static FloatTensor randomTensor(GGMLType type, int elements, Random rnd) {
        if (type == GGMLType.F32 || type == GGMLType.F16 || type == GGMLType.BF16) {
            float[] x = new float[elements];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            return FloatTensors.quantize(type, x);
        }
        byte[] b = new byte[Math.toIntExact(type.byteSize(elements))];
        rnd.nextBytes(b);
        int[] halves = switch (type) {
            case Q8_0, Q4_0 -> new int[] {0};
            case Q4_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new AssertionError(type);
        };
        for (int o = 0; o < b.length; o += type.typeSize) {
            for (int h : halves) {
                short bits = Float.floatToFloat16((float) rnd.nextGaussian() * 0.05f);
                b[o + h] = (byte) bits;
                b[o + h + 1] = (byte) (bits >> 8);
            }
        }
        return FloatTensors.create(type, elements, MemorySegment.ofArray(b));
    }

    static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    private static int colsFor(GGMLType type, Random rnd) {
        return type.blockSize == 1 ? 1 + rnd.nextInt(300) : type.blockSize * (1 + rnd.nextInt(type.blockSize == 32 ? 9 : 3));
    }

    @ParameterizedTest
    @MethodSource("types")
    void dotMatchesScalarTwinOnAnyRange(GGMLType type) {
        var rnd = new Random(100 + type.ordinal());
        for (int trial = 0; trial < 80; trial++) {
            int size = type.blockSize * (1 + rnd.nextInt(type.blockSize == 256 ? 4 : 40));
            var t = randomTensor(type, size, rnd);
            long offset = rnd.nextInt(size);
            int n = rnd.nextInt((int) (size - offset) + 1), xOffset = rnd.nextInt(5);
            float[] x = gaussian(rnd, xOffset + n);
            double scale = 0;
            for (int i = 0; i < n; i++) scale += Math.abs(t.getFloat(offset + i) * x[xOffset + i]);
            assertEquals(t.dotScalar(offset, x, xOffset, n), t.dot(offset, x, xOffset, n), 1e-5 * scale + 1e-30,
                    type + " offset " + offset + " n " + n);
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void dequantizeMatchesGetFloatExactly(GGMLType type) {
        var rnd = new Random(200 + type.ordinal());
        for (int trial = 0; trial < 30; trial++) {
            int size = type.blockSize * (1 + rnd.nextInt(type.blockSize == 256 ? 4 : 40));
            var t = randomTensor(type, size, rnd);
            int offset = rnd.nextInt(size), n = rnd.nextInt(size - offset + 1);
            float[] out = new float[n + 3];
            t.dequantize(offset, out, 3, n);
            for (int i = 0; i < n; i++) assertEquals(t.getFloat(offset + i), out[3 + i], type + " element " + (offset + i));
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void matmulMatchesFloat64ReferenceForDecodeAndPrefillShapes(GGMLType type) {
        var rnd = new Random(300 + type.ordinal());
        int[] ns = {1, 2, 3, 4, 5, 7, 13};
        for (int trial = 0; trial < 14; trial++) {
            int n = ns[trial % ns.length], rows = 1 + rnd.nextInt(37), cols = colsFor(type, rnd);
            checkMatmul(type, randomTensor(type, rows * cols + (type.blockSize == 1 ? rnd.nextInt(9) : 0), rnd), n, rows, cols, rnd);
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void matmulMatchesReferenceAtLlamaLayerWidth(GGMLType type) {
        var rnd = new Random(400 + type.ordinal());
        var t = randomTensor(type, 21 * 2048, rnd);
        checkMatmul(type, t, 1, 21, 2048, rnd);
        checkMatmul(type, t, 9, 21, 2048, rnd);
    }

    /** Runs t.matmul into a strided, offset output and compares every written value with a float64 product. */
    private static void checkMatmul(GGMLType type, FloatTensor t, int n, int rows, int cols, Random rnd) {
        float[] x = gaussian(rnd, n * cols);
        int outOffset = rnd.nextInt(4), outStride = outOffset + rows + rnd.nextInt(4);
        float[] out = new float[(n - 1) * outStride + outOffset + rows + rnd.nextInt(3)];
        java.util.Arrays.fill(out, Float.NaN);
        t.matmul(x, n, rows, cols, out, outStride, outOffset);
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < rows; j++) {
                double exact = 0, scale = 0;
                for (int i = 0; i < cols; i++) {
                    double w = t.getFloat((long) j * cols + i), v = x[r * cols + i];
                    exact += w * v;
                    scale += Math.abs(w * v);
                }
                double tolerance = 1e-5 * scale + 1e-30;
                float got = out[r * outStride + outOffset + j];
                assertTrue(Math.abs(got - exact) <= tolerance, type + " n=" + n + " " + rows + "x" + cols + " out[" + r + "][" + j
                        + "] = " + got + ", float64 reference " + exact + " (tolerance " + tolerance + ")");
            }
        }
        for (int i = 0; i < out.length; i++) {
            int r = i / outStride, c = i % outStride - outOffset;
            boolean written = r < n && c >= 0 && c < rows;
            if (!written) assertTrue(Float.isNaN(out[i]), "matmul wrote outside its rows at " + i);
        }
    }

    @Test
    void decodeKernelsMatchTheirScalarTwins() {
        var rnd = new Random(5);
        for (int trial = 0; trial < 20; trial++) {
            int blocks = 1 + rnd.nextInt(70), n = 1 + rnd.nextInt(3), cols = 32 * blocks;
            var a = DecodeInput.of(gaussian(rnd, n * cols), n, cols);
            var q8 = (Q8_0Tensor) randomTensor(GGMLType.Q8_0, 2 * cols, rnd);
            var q4 = (Q4_0Tensor) randomTensor(GGMLType.Q4_0, 2 * cols, rnd);
            int r = rnd.nextInt(n);
            float v8 = q8.decodeDotScalar(blocks, a, r * blocks, blocks), v4 = q4.decodeDotScalar(blocks, a, r * blocks, blocks);
            assertEquals(v8, q8.decodeDot(blocks, a, r * blocks, blocks), 1e-5 * (1 + Math.abs(v8)) * blocks);
            assertEquals(v4, q4.decodeDot(blocks, a, r * blocks, blocks), 1e-5 * (1 + Math.abs(v4)) * blocks);
        }
    }

    /**
     * The decode kernels' bits are those of the fixed order written out in scalar code (docs/kernels.md, "Vector widths
     * and the order of accumulation"), at whatever width this JVM runs: however a kernel loads and widens its bytes per
     * width, partial sum i must take fma((q at 16 + i)·x, ·, (q at i)·x) scaled by d in one fma, block after block.
     */
    @Test
    void decodeKernelsGiveTheBitsOfTheFixedOrder() {
        var rnd = new Random(6);
        for (int trial = 0; trial < 40; trial++) {
            int blocks = 1 + rnd.nextInt(trial < 4 ? 200 : 70), n = 1 + rnd.nextInt(3), cols = 32 * blocks, rows = 3;
            var a = DecodeInput.of(gaussian(rnd, n * cols), n, cols);
            var q8 = (Q8_0Tensor) randomTensor(GGMLType.Q8_0, rows * cols, rnd);
            var q4 = (Q4_0Tensor) randomTensor(GGMLType.Q4_0, rows * cols, rnd);
            for (int j = 0; j < rows; j++) {
                int r = rnd.nextInt(n);
                assertEquals(Float.floatToRawIntBits(fixedOrder(q8, (long) j * blocks, a, r * blocks, blocks, false)),
                        Float.floatToRawIntBits(q8.decodeDot((long) j * blocks, a, r * blocks, blocks)), "Q8_0 trial " + trial);
                assertEquals(Float.floatToRawIntBits(fixedOrder(q4, (long) j * blocks, a, r * blocks, blocks, true)),
                        Float.floatToRawIntBits(q4.decodeDot((long) j * blocks, a, r * blocks, blocks)), "Q4_0 trial " + trial);
            }
        }
    }

    /**
     * Q8_0 (q the signed bytes) or Q4_0 (q the unsigned nibbles, the -8 folded into -8·Σ_blocks d·Σx) in the kernels'
     * order: 16 partial sums, each an fma chain through the blocks, added by {@link Lanes#sum(float[], int)}.
     */
    private static float fixedOrder(BlockTensor w, long first, DecodeInput a, int xBlock, int blocks, boolean q4) {
        int bytes = q4 ? Q4_0Tensor.BLOCK_BYTES : Q8_0Tensor.BLOCK_BYTES;
        float[] p = new float[16];
        float offset = 0f;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * bytes;
            float d = Layouts.f16(w.segment, o);
            int xo = (xBlock + b) * 32;
            for (int i = 0; i < 16; i++) {
                int qi = w.segment.get(Layouts.BYTE, o + 2 + i), qj;
                if (q4) {
                    qj = (qi >> 4) & 15;
                    qi &= 15;
                } else {
                    qj = w.segment.get(Layouts.BYTE, o + 18 + i);
                }
                float t = Math.fma((float) qj, a.x[xo + 16 + i], qi * a.x[xo + i]);
                p[i] = Math.fma(t, d, p[i]);
            }
            offset += d * a.sums[xBlock + b];
        }
        return q4 ? Lanes.sum(p, 0) - 8f * offset : Lanes.sum(p, 0);
    }

    /** The 4 × 3 tile (AVX2's 16 registers) and the 4 × 4 tile give the same bits: the tile only groups the sums. */
    @Test
    void gemmTilesGiveTheSameBits() {
        var rnd = new Random(11);
        for (int trial = 0; trial < 30; trial++) {
            int wRows = 1 + rnd.nextInt(FloatTensor.PANEL_ROWS), n = 1 + rnd.nextInt(13);
            int cols = trial < 3 ? 2048 + 16 * trial + trial : 1 + rnd.nextInt(1200);
            float[] w = gaussian(rnd, wRows * cols), x = gaussian(rnd, n * cols);
            float[] out4 = new float[n * (wRows + 2)], out3 = out4.clone();
            FloatGemm.multiply(w, wRows, x, n, cols, out4, wRows + 2, 1, 4);
            FloatGemm.multiply(w, wRows, x, n, cols, out3, wRows + 2, 1, 3);
            for (int i = 0; i < out4.length; i++) {
                assertEquals(Float.floatToRawIntBits(out4[i]), Float.floatToRawIntBits(out3[i]), "trial " + trial + " at " + i);
            }
        }
    }

    /**
     * The GEMM's bits are those of its scalar twin: for each output, 16 partial sums (the columns ≡ i mod 16 below the
     * last multiple of 16, ascending, fused multiply-adds from zero), the fixed tree, then the remaining columns.
     */
    @Test
    void gemmMatchesItsScalarTwinBitForBit() {
        var rnd = new Random(12);
        for (int trial = 0; trial < 12; trial++) {
            int wRows = 1 + rnd.nextInt(FloatTensor.PANEL_ROWS), n = 1 + rnd.nextInt(9);
            int cols = trial < 2 ? 2048 + 7 * trial : 1 + rnd.nextInt(1200), upper = cols & -Lanes.SUMS;
            float[] w = gaussian(rnd, wRows * cols), x = gaussian(rnd, n * cols), out = new float[n * wRows];
            FloatGemm.multiply(w, wRows, x, n, cols, out, wRows, 0);
            float[] partials = new float[Lanes.SUMS];
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < wRows; j++) {
                    java.util.Arrays.fill(partials, 0f);
                    for (int k = 0; k < upper; k++) {
                        partials[k % Lanes.SUMS] = Math.fma(w[j * cols + k], x[r * cols + k], partials[k % Lanes.SUMS]);
                    }
                    float sum = Lanes.sum(partials, 0);
                    for (int k = upper; k < cols; k++) sum += w[j * cols + k] * x[r * cols + k];
                    assertEquals(Float.floatToRawIntBits(sum), Float.floatToRawIntBits(out[r * wRows + j]),
                            "trial " + trial + " row " + r + " out " + j);
                }
            }
        }
    }

    @Test
    void vectorMathMatchesScalarLoops() {
        var rnd = new Random(9);
        for (int trial = 0; trial < 40; trial++) {
            int n = rnd.nextInt(200), ao = rnd.nextInt(5), bo = rnd.nextInt(5);
            float[] a = gaussian(rnd, ao + n), b = gaussian(rnd, bo + n), y = gaussian(rnd, bo + n), y2 = y.clone();
            double dot = 0, scale = 0;
            for (int i = 0; i < n; i++) {
                dot += (double) a[ao + i] * b[bo + i];
                scale += Math.abs(a[ao + i] * b[bo + i]);
            }
            assertEquals(dot, VectorMath.dot(a, ao, b, bo, n), 1e-5 * scale + 1e-30);
            VectorMath.axpy(0.37f, a, ao, y, bo, n);
            for (int i = 0; i < n; i++) assertEquals(y2[bo + i] + 0.37f * a[ao + i], y[bo + i], 1e-5f * (1 + Math.abs(y[bo + i])));
            float[] out = new float[n];
            VectorMath.siluGate(a, ao, b, bo, out, 0, n);
            for (int i = 0; i < n; i++) {
                double g = a[ao + i], expected = g / (1 + Math.exp(-g)) * b[bo + i];
                assertEquals(expected, out[i], 1e-5 * (1 + Math.abs(expected)));
            }
        }
    }

    @Test
    void badShapesAndSizesAreRejectedWithAMessage() {
        var t = randomTensor(GGMLType.Q4_0, 64, new Random(1));
        var e = assertThrows(IllegalArgumentException.class, () -> t.matmul(new float[32], 1, 3, 32, new float[3], 3, 0));
        assertTrue(e.getMessage().contains("exceeds"));
        assertThrows(IllegalArgumentException.class, () -> t.matmul(new float[31], 1, 2, 32, new float[2], 2, 0));
        assertThrows(IllegalArgumentException.class, () -> t.matmul(new float[32], 1, 2, 32, new float[2], 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new Q4_0Tensor(64, MemorySegment.ofArray(new byte[35])));
        assertThrows(IllegalArgumentException.class, () -> new Q4_KTensor(100, MemorySegment.ofArray(new byte[144])));
    }
}
