package dev.veil.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Blocks laid out by hand from GGML's block definitions (ggml-common.h) decode to the values the format defines,
 * through getFloat, dequantize and the vectorized dot product alike.
 */
@Tag("vector")
class GgmlLayoutTest {
    private static void half(byte[] b, int at, int bits) {
        b[at] = (byte) bits;
        b[at + 1] = (byte) (bits >> 8);
    }

    /** Checks every decoding path of t against expected. */
    private static void assertDecodes(FloatTensor t, float[] expected) {
        float[] all = new float[expected.length];
        t.dequantize(0, all, 0, all.length);
        float[] ones = new float[expected.length];
        java.util.Arrays.fill(ones, 1f);
        double sum = 0;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], t.getFloat(i), "getFloat(" + i + ")");
            assertEquals(expected[i], all[i], "dequantize[" + i + "]");
            sum += expected[i];
        }
        assertEquals(sum, t.dot(0, ones, 0, ones.length), 1e-5 * Math.max(1, Math.abs(sum)), "dot with ones");
    }

    @Test
    void q8_0IsAHalfScaleThen32SignedBytes() {
        byte[] b = new byte[34];
        half(b, 0, 0x3800);  // 0.5
        for (int j = 0; j < 32; j++) b[2 + j] = (byte) (j - 16);
        b[2 + 31] = -128;
        float[] expected = new float[32];
        for (int j = 0; j < 32; j++) expected[j] = 0.5f * (j - 16);
        expected[31] = -64f;
        assertDecodes(new Q8_0Tensor(32, MemorySegment.ofArray(b)), expected);
    }

    @Test
    void q4_0PutsTheFirstSixteenValuesInLowNibbles() {
        byte[] b = new byte[18];
        half(b, 0, 0x4000);  // 2.0
        for (int j = 0; j < 16; j++) b[2 + j] = (byte) (j | (15 - j) << 4);
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            expected[j] = 2f * (j - 8);
            expected[16 + j] = 2f * (7 - j);
        }
        assertDecodes(new Q4_0Tensor(32, MemorySegment.ofArray(b)), expected);
        assertEquals(-16f, expected[0]);
        assertEquals(14f, expected[16]);
    }

    @Test
    void q4_KPacksSixBitScalesAndMinsAndInterleavesNibblesBy32() {
        int[] sc = {1, 2, 3, 4, 17, 33, 49, 63}, m = {0, 1, 2, 3, 20, 5, 40, 63};
        byte[] b = new byte[144];
        half(b, 0, 0x3800);  // d = 0.5
        half(b, 2, 0x3400);  // dmin = 0.25
        for (int j = 0; j < 4; j++) {
            b[4 + j] = (byte) (sc[j] | (sc[j + 4] >> 4) << 6);
            b[8 + j] = (byte) (m[j] | (m[j + 4] >> 4) << 6);
            b[12 + j] = (byte) ((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
        }
        int[] level = new int[256];
        for (int e = 0; e < 256; e++) level[e] = (e * 7) % 16;
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) b[16 + 32 * c + l] = (byte) (level[64 * c + l] | level[64 * c + 32 + l] << 4);
        }
        float[] expected = new float[256];
        for (int e = 0; e < 256; e++) expected[e] = 0.5f * sc[e / 32] * level[e] - 0.25f * m[e / 32];
        assertEquals(267.75f, expected[255]);  // 0.5·63·9 - 0.25·63
        assertDecodes(new Q4_KTensor(256, MemorySegment.ofArray(b)), expected);
    }

    @Test
    void q6_KSplitsSixBitsIntoLowNibblesAndTwoBitPlanes() {
        byte[] b = new byte[210];
        int[] level = new int[256];
        for (int e = 0; e < 256; e++) level[e] = (e * 11) % 64;
        int[] sc = {-128, -3, 1, 2, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 64, 127};
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int[] q = {level[128 * h + l], level[128 * h + l + 32], level[128 * h + l + 64], level[128 * h + l + 96]};
                b[64 * h + l] = (byte) ((q[0] & 15) | (q[2] & 15) << 4);
                b[64 * h + 32 + l] = (byte) ((q[1] & 15) | (q[3] & 15) << 4);
                b[128 + 32 * h + l] = (byte) (q[0] >> 4 | (q[1] >> 4) << 2 | (q[2] >> 4) << 4 | (q[3] >> 4) << 6);
            }
        }
        for (int j = 0; j < 16; j++) b[192 + j] = (byte) sc[j];
        half(b, 208, 0x3000);  // d = 0.125
        float[] expected = new float[256];
        for (int e = 0; e < 256; e++) expected[e] = 0.125f * sc[e / 16] * (level[e] - 32);
        assertEquals(512f, expected[0]);  // 0.125·-128·(0 - 32)
        assertDecodes(new Q6_KTensor(256, MemorySegment.ofArray(b)), expected);
    }

    @Test
    void f16DecodesNormalsSubnormalsInfinitiesAndSignedZero() {
        int[] bits = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x8000, 0x3555, 0x0400, 0x8001};
        float[] values = {1f, -2f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, -0f, 0.33325195f, 0x1p-14f, -0x1p-24f};
        int n = 64;  // long enough for the vector path
        byte[] b = new byte[2 * n];
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            int k = i % values.length;
            half(b, 2 * i, bits[k]);
            expected[i] = values[k];
        }
        var t = new F16Tensor(n, MemorySegment.ofArray(b));
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], t.getFloat(i), "element " + i);
            float[] x = new float[n];
            x[i] = 1f;
            assertEquals(expected[i], t.dot(0, x, 0, n), 0f, "vectorized decode of element " + i);  // -0 sums to +0
        }
        assertEquals(Float.POSITIVE_INFINITY, constantF16(0x7C00, n).dot(0, ones(n), 0, n));
        assertEquals(Float.NEGATIVE_INFINITY, constantF16(0xFC00, n).dot(0, ones(n), 0, n));
        assertTrue(Float.isNaN(constantF16(0x7E00, n).dot(0, ones(n), 0, n)));
        assertTrue(Float.isNaN(constantF16(0x7E00, n).getFloat(3)));
    }

    private static F16Tensor constantF16(int bits, int n) {
        byte[] b = new byte[2 * n];
        for (int i = 0; i < n; i++) half(b, 2 * i, bits);
        return new F16Tensor(n, MemorySegment.ofArray(b));
    }

    private static float[] ones(int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        return x;
    }

    @Test
    void bf16IsTheUpperHalfOfAFloat() {
        int n = 48;
        byte[] b = new byte[2 * n];
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            int bits = i % 2 == 0 ? 0x3F80 : 0xC040;  // 1.0, -3.0
            half(b, 2 * i, bits);
            expected[i] = i % 2 == 0 ? 1f : -3f;
        }
        assertDecodes(new BF16Tensor(n, MemorySegment.ofArray(b)), expected);
    }
}
