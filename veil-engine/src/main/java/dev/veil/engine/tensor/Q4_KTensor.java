package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.LE_LONG;
import static dev.veil.engine.tensor.Layouts.u8;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GGML Q4_K: super-blocks of 256 values in 8 sub-blocks of 32, 144 bytes: half d, half dmin, 12 bytes of
 * 6-bit sub-block scales and mins, 128 bytes of nibbles. Sub-block s has value d·sc_s·q - dmin·m_s; bytes
 * 32c..32c+31 hold sub-block 2c in their low nibbles and 2c+1 in their high nibbles.
 */
public final class Q4_KTensor extends BlockTensor {
    static final int BLOCK_BYTES = 144;
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    public Q4_KTensor(long size, MemorySegment segment) {
        super(GGMLType.Q4_K, size, segment);
    }

    /**
     * Sub-block j's 6-bit scale (scale = true) or min, from the block's 16-byte header read as two longs: h (d, dmin
     * and packed bytes 0..3) and s (packed bytes 4..11). Two reads, where a read per byte used up most of the kernel's
     * inlining budget (see {@link Lanes}).
     */
    static int scaleMin(long h, long s, int j, boolean scale) {
        if (j < 4) return packed(h, s, j + (scale ? 0 : 4)) & 63;
        int low = packed(h, s, j + 4), high = packed(h, s, j - (scale ? 4 : 0)) >> 6;
        return (scale ? low & 15 : low >> 4) | (high << 4);
    }

    /** Byte i of the 12 packed scale and min bytes, which start at header byte 4. */
    private static int packed(long h, long s, int i) {
        return (int) ((i < 4 ? h >>> (32 + 8 * i) : s >>> (8 * i - 32)) & 255);
    }

    @Override
    public float getFloat(long index) {
        long o = (index >>> 8) * BLOCK_BYTES;
        int e = (int) (index & 255), c = e >> 6, within = e & 63, sub = 2 * c + (within >> 5);
        int q = u8(segment, o + 16 + 32 * c + (within & 31));
        int nibble = within < 32 ? q & 15 : q >> 4;
        long h = segment.get(LE_LONG, o), s = segment.get(LE_LONG, o + 8);
        float d1 = Float.float16ToFloat((short) h) * scaleMin(h, s, sub, true);
        float m1 = Float.float16ToFloat((short) (h >>> 16)) * scaleMin(h, s, sub, false);
        return d1 * nibble - m1;
    }

    @Override
    void dequantizeBlocks(long first, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES, h = segment.get(LE_LONG, o), s = segment.get(LE_LONG, o + 8);
            float d = Float.float16ToFloat((short) h), dmin = Float.float16ToFloat((short) (h >>> 16));
            for (int c = 0; c < 4; c++) {
                float d1 = d * scaleMin(h, s, 2 * c, true), m1 = dmin * scaleMin(h, s, 2 * c, false);
                float d2 = d * scaleMin(h, s, 2 * c + 1, true), m2 = dmin * scaleMin(h, s, 2 * c + 1, false);
                int at = dstOffset + b * 256 + 64 * c;
                for (int l = 0; l < 32; l++) {
                    int q = u8(segment, o + 16 + 32 * c + l);
                    dst[at + l] = d1 * (q & 15) - m1;
                    dst[at + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    /** Whole blocks go straight to this class's kernel (a call C2 binds statically; see {@link BlockTensor#dot}). */
    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        if ((offset | n) % 256 == 0) return dotBlocks(offset / 256, x, xOffset, n / 256);
        return super.dot(offset, x, xOffset, n);
    }

    /**
     * Per 64 values (two sub-blocks sharing 32 bytes): nibbles widened to int lanes with constant shifts,
     * dequantized to d·sc·q - dmin·m in registers (one FMA) and multiplied with x, one part at a time, the
     * accumulators rotating (see {@link Lanes}). Free of variable shifts, and its header read as two longs, so that C2
     * inlines every vector operation and compiles it to instructions.
     */
    @Override
    float dotBlocks(long first, float[] x, int xOffset, int blocks) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES, h = segment.get(LE_LONG, o), s = segment.get(LE_LONG, o + 8);
            float d = Float.float16ToFloat((short) h), dmin = Float.float16ToFloat((short) (h >>> 16));
            for (int c = 0; c < 4; c++) {
                var d1 = FloatVector.broadcast(F, d * scaleMin(h, s, 2 * c, true));
                var m1 = FloatVector.broadcast(F, -dmin * scaleMin(h, s, 2 * c, false));
                var d2 = FloatVector.broadcast(F, d * scaleMin(h, s, 2 * c + 1, true));
                var m2 = FloatVector.broadcast(F, -dmin * scaleMin(h, s, 2 * c + 1, false));
                long at = o + 16 + 32 * c;
                int xo = xOffset + b * 256 + 64 * c;
                for (int k = 0; k < 32 / L; k++) {
                    var t = pair(at, k, d1, m1, d2, m2, x, xo, a0);
                    a0 = Lanes.PARTS > 1 ? a1 : t;
                    a1 = Lanes.PARTS > 2 ? a2 : t;
                    a2 = a3;
                    a3 = t;
                }
            }
        }
        return Lanes.sum(a0, a1, a2, a3);
    }

    /** acc + lo·x[k·L...] + hi·x[32 + k·L...] for bytes [k·L, (k+1)·L) of the 32 at {@code at}, dequantized in registers. */
    private FloatVector pair(long at, int k, FloatVector d1, FloatVector m1, FloatVector d2, FloatVector m2, float[] x, int xo,
                             FloatVector acc) {
        IntVector q = Lanes.bytesToInts(segment, at, k);
        var lo = ((FloatVector) q.and(15).convert(VectorOperators.I2F, 0)).fma(d1, m1);
        var hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d2, m2);
        acc = lo.fma(FloatVector.fromArray(F, x, xo + k * L), acc);
        return hi.fma(FloatVector.fromArray(F, x, xo + 32 + k * L), acc);
    }
}
