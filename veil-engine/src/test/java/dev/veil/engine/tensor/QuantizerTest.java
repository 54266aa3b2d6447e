package dev.veil.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Quantize/dequantize round trips over random shapes and value distributions, and ggml's rounding rules. */
@Tag("vector")
class QuantizerTest {
    static final GGMLType[] TYPES = {GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0,
            GGMLType.Q4_K, GGMLType.Q6_K};

    /** Random values in several shapes of distribution: gaussian, uniform, sparse, outliers, constant, zero. */
    static float[] values(Random rnd, int n) {
        float[] x = new float[n];
        float scale = (float) Math.pow(10, rnd.nextInt(5) - 2);
        int kind = rnd.nextInt(6);
        for (int i = 0; i < n; i++) {
            x[i] = switch (kind) {
                case 0 -> (float) rnd.nextGaussian() * scale;
                case 1 -> (rnd.nextFloat() * 2 - 1) * scale;
                case 2 -> rnd.nextInt(8) == 0 ? (float) rnd.nextGaussian() * scale : 0f;
                case 3 -> (float) rnd.nextGaussian() * scale * (rnd.nextInt(50) == 0 ? 30 : 1);
                case 4 -> scale;
                default -> 0f;
            };
        }
        return x;
    }

    @ParameterizedTest
    @MethodSource("dev.veil.engine.tensor.TensorKernelTest#types")
    void roundTripStaysWithinTheFormatsErrorBound(GGMLType type) {
        var rnd = new Random(type.ordinal());
        for (int trial = 0; trial < 60; trial++) {
            int blocks = 1 + rnd.nextInt(type.blockSize == 1 ? 300 : type.blockSize == 32 ? 12 : 3);
            float[] x = values(rnd, blocks * type.blockSize);
            byte[] bytes = Quantizer.quantize(type, x);
            assertEquals(type.byteSize(x.length), bytes.length);
            float[] y = FloatTensors.quantize(type, x).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                double bound = bound(type, x, i);
                assertTrue(Math.abs(x[i] - y[i]) <= bound,
                        type + " trial " + trial + " element " + i + ": " + x[i] + " -> " + y[i] + " (bound " + bound + ")");
            }
            assertArrayEquals(bytes, Quantizer.quantize(type, x), "quantization must be deterministic");
        }
    }

    /**
     * Largest error allowed at element i. Block formats: half the quantization step (a full step where the
     * format clips its largest level) plus the rounding of the scale to half precision.
     */
    static double bound(GGMLType type, float[] x, int i) {
        double v = Math.abs(x[i]);
        return switch (type) {
            case F32 -> 0;
            case F16 -> Math.max(v * 0x1p-11, 0x1p-25);
            case BF16 -> v * 0x1p-8;
            case Q8_0 -> amax(x, i, 32) / 127 / 2 + 128 * half(amax(x, i, 32) / 127);
            case Q4_0 -> amax(x, i, 32) / 8 + 8 * half(amax(x, i, 32) / 8);
            // 6-bit sub-block scales relative to the super-block's largest: allow a step of the super-block's
            // range (levels 0..15) rather than half of it, plus the half-precision rounding of d and dmin
            case Q4_K -> range(x, i, 256) / 15 * 1.2 + 63 * 16 * 0x1p-24;
            case Q6_K -> amax(x, i, 256) / 31 * 1.2 + 128 * 32 * 0x1p-24;
            default -> throw new AssertionError(type);
        };
    }

    /** Largest error of rounding a positive v to half precision (normal or subnormal). */
    private static double half(double v) {
        return Math.max(v * 0x1p-11, 0x1p-25);
    }

    private static double amax(float[] x, int i, int block) {
        double m = 0;
        for (int j = i / block * block; j < (i / block + 1) * block; j++) m = Math.max(m, Math.abs(x[j]));
        return m;
    }

    private static double range(float[] x, int i, int block) {
        double lo = 0, hi = 0;
        for (int j = i / block * block; j < (i / block + 1) * block; j++) {
            lo = Math.min(lo, x[j]);
            hi = Math.max(hi, x[j]);
        }
        return hi - lo;
    }

    @Test
    void kQuantsAreAccurateOnGaussianWeights() {
        // Root-mean-square error relative to the values' RMS (measured: Q8_0 0.0053, Q6_K 0.018, Q4_K 0.071,
        // Q4_0 0.086), as llama.cpp's quantize tests measure it.
        var rnd = new Random(7);
        float[] x = new float[256 * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * 0.02f;
        assertTrue(relativeRmse(GGMLType.Q8_0, x) < 0.007, "Q8_0");
        assertTrue(relativeRmse(GGMLType.Q6_K, x) < 0.025, "Q6_K");
        assertTrue(relativeRmse(GGMLType.Q4_K, x) < 0.09, "Q4_K");
        assertTrue(relativeRmse(GGMLType.Q4_0, x) < 0.11, "Q4_0");
        assertTrue(relativeRmse(GGMLType.Q4_K, x) < relativeRmse(GGMLType.Q4_0, x), "Q4_K beats Q4_0");
    }

    private static double relativeRmse(GGMLType type, float[] x) {
        float[] y = FloatTensors.quantize(type, x).toFloatArray();
        double err = 0, ref = 0;
        for (int i = 0; i < x.length; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            ref += x[i] * (double) x[i];
        }
        return Math.sqrt(err / ref);
    }

    @Test
    void q8_0RoundsHalvesAwayFromZeroLikeRoundf() {
        float[] x = new float[32];
        x[0] = 127f;  // d = 1
        x[1] = -2.5f;
        x[2] = 2.5f;
        x[3] = 0.5f;
        x[4] = -0.5f;
        x[5] = -127f;
        x[6] = 1.4999999f;
        byte[] b = Quantizer.quantize(GGMLType.Q8_0, x);
        assertEquals(0x3C00, (b[0] & 0xFF) | (b[1] & 0xFF) << 8, "d = 1.0 as half");
        assertArrayEquals(new byte[] {127, -3, 3, 1, -1, -127, 1, 0}, java.util.Arrays.copyOfRange(b, 2, 10));
    }

    @Test
    void q4_0TruncatesAfterAddingEightAndAHalf() {
        float[] x = new float[32];
        x[0] = -8f;    // max by magnitude, negative: d = -8 / -8 = 1
        x[1] = 0.5f;   // 9.0 -> 9
        x[2] = -0.5f;  // 8.0 -> 8
        x[3] = 7.6f;   // 16.1 -> 16, clipped to 15
        x[16] = 3f;    // 11.5 -> 11 (high nibble of byte 0)
        x[17] = -3.2f; // 5.3 -> 5
        byte[] b = Quantizer.quantize(GGMLType.Q4_0, x);
        assertEquals(0x3C00, (b[0] & 0xFF) | (b[1] & 0xFF) << 8);
        assertEquals(0 | 11 << 4, b[2] & 0xFF);
        assertEquals(9 | 5 << 4, b[3] & 0xFF);
        assertEquals(8 | 8 << 4, b[4] & 0xFF);
        assertEquals(15 | 8 << 4, b[5] & 0xFF);
        float[] y = FloatTensors.quantize(GGMLType.Q4_0, x).toFloatArray();
        assertEquals(-8f, y[0]);
        assertEquals(1f, y[1]);
        assertEquals(0f, y[2]);
        assertEquals(7f, y[3]);
        assertEquals(3f, y[16]);
        assertEquals(-3f, y[17]);
    }

    @Test
    void nearestIntRoundsHalfToEvenAndRoundfAwayFromZero() {
        assertEquals(2, Quantizer.nearestInt(2.5f));
        assertEquals(4, Quantizer.nearestInt(3.5f));
        assertEquals(-2, Quantizer.nearestInt(-2.5f));
        assertEquals(-3, Quantizer.nearestInt(-2.6f));
        assertEquals(3f, Quantizer.roundf(2.5f));
        assertEquals(-3f, Quantizer.roundf(-2.5f));
        assertEquals(0f, Quantizer.roundf(0.49999997f));
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, Quantizer.toBf16(1f));
        assertEquals((short) 0x3F80, Quantizer.toBf16(Float.intBitsToFloat(0x3F808000)));  // tie, even stays
        assertEquals((short) 0x3F82, Quantizer.toBf16(Float.intBitsToFloat(0x3F818000)));  // tie, odd rounds up
        assertEquals((short) 0x3F81, Quantizer.toBf16(Float.intBitsToFloat(0x3F808001)));
        assertTrue(Float.isNaN(BF16Tensor.toFloat(Quantizer.toBf16(Float.NaN))));
    }

    @Test
    void rejectsPartialBlocksAndShortDestinations() {
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GGMLType.Q4_0, new float[33]));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GGMLType.Q4_1, new float[32]));
        var small = java.lang.foreign.MemorySegment.ofArray(new byte[10]);
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GGMLType.Q8_0, new float[32], 0, 32, small, 0));
    }
}
