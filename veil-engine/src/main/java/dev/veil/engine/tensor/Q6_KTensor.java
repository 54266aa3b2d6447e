package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.BYTE;
import static dev.veil.engine.tensor.Layouts.f16;
import static dev.veil.engine.tensor.Layouts.u8;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GGML Q6_K: super-blocks of 256 values in 16 sub-blocks of 16, 210 bytes: ql[128] (low 4 bits), qh[64]
 * (high 2 bits), int8 scales[16], half d; value = d·scale·(q - 32). Each half of 128 values uses 64 bytes of ql,
 * 32 of qh and 8 scales: value l + 32k (k = 0..3, l &lt; 32) takes ql[l + 32·(k &amp; 1)]'s low (k &lt; 2) or
 * high nibble and bits 2k, 2k+1 of qh[l], with scale l/16 + 2k.
 */
public final class Q6_KTensor extends BlockTensor {
    static final int BLOCK_BYTES = 210;
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    public Q6_KTensor(long size, MemorySegment segment) {
        super(GGMLType.Q6_K, size, segment);
    }

    @Override
    public float getFloat(long index) {
        long o = (index >>> 8) * BLOCK_BYTES;
        int e = (int) (index & 255), half = e >> 7, k = (e & 127) >> 5, l = e & 31;
        long ql = o + 64 * half, qh = o + 128 + 32 * half;
        int low = u8(segment, ql + l + 32 * (k & 1)), high = u8(segment, qh + l);
        int q = ((k < 2 ? low & 15 : low >> 4) | (((high >> (2 * k)) & 3) << 4)) - 32;
        return f16(segment, o + 208) * segment.get(BYTE, o + 192 + 8 * half + l / 16 + 2 * k) * q;
    }

    @Override
    void dequantizeBlocks(long first, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            float d = f16(segment, o + 208);
            for (int half = 0; half < 2; half++) {
                long ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half;
                int at = dstOffset + b * 256 + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16, a = u8(segment, ql + l), c = u8(segment, ql + 32 + l), h = u8(segment, qh + l);
                    dst[at + l] = d * segment.get(BYTE, sc + is) * (((a & 15) | ((h & 3) << 4)) - 32);
                    dst[at + 32 + l] = d * segment.get(BYTE, sc + is + 2) * (((c & 15) | (((h >> 2) & 3) << 4)) - 32);
                    dst[at + 64 + l] = d * segment.get(BYTE, sc + is + 4) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
                    dst[at + 96 + l] = d * segment.get(BYTE, sc + is + 6) * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
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
     * One group of 16 values (one scale) at a time: low and high bits shifted into place in int lanes (by the
     * group's shift counts, one instruction each), converted, scaled and multiplied with x, one part at a time, the
     * accumulators rotating. The loop body stays small on purpose: C2 must inline every vector operation to compile it
     * to instructions (see {@link Lanes}).
     */
    @Override
    float dotBlocks(long first, float[] x, int xOffset, int blocks) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            float d = f16(segment, o + 208);
            for (int g = 0; g < 16; g++) {
                // value 128·half + 32·k + l (l < 32) has scale 8·half + 2·k + l/16: group g is that scale's index
                int half = g >> 3, k = (g >> 1) & 3, l0 = (g & 1) * 16;
                long ql = o + 64 * half + 32 * (k & 1) + l0, qh = o + 128 + 32 * half + l0;
                var scale = FloatVector.broadcast(F, d * segment.get(BYTE, o + 192 + g));
                int xo = xOffset + b * 256 + 128 * half + 32 * k + l0;
                for (int part = 0; part < Lanes.PARTS; part++) {
                    var t = group(ql, qh, part, 4 * (k >> 1), 2 * k, scale, x, xo, a0);
                    a0 = Lanes.PARTS > 1 ? a1 : t;
                    a1 = Lanes.PARTS > 2 ? a2 : t;
                    a2 = a3;
                    a3 = t;
                }
            }
        }
        return Lanes.sum(a0, a1, a2, a3);
    }

    /** acc + scale·(q - 32)·x for part k of a group of 16: low and high bits shifted into place in int lanes. */
    private FloatVector group(long ql, long qh, int k, int lowShift, int highShift, FloatVector scale, float[] x, int xo, FloatVector acc) {
        var low = Lanes.bytesToInts(segment, ql, k).lanewise(VectorOperators.LSHR, lowShift).and(15);
        var high = Lanes.bytesToInts(segment, qh, k).lanewise(VectorOperators.LSHR, highShift).and(3).lanewise(VectorOperators.LSHL, 4);
        var q = (FloatVector) low.or(high).sub(32).convert(VectorOperators.I2F, 0);
        return q.mul(scale).fma(FloatVector.fromArray(F, x, xo + k * L), acc);
    }
}
