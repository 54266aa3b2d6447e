package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.BYTE;
import static dev.veil.engine.tensor.Layouts.LE;
import static dev.veil.engine.tensor.Layouts.f16;
import static dev.veil.engine.tensor.Layouts.u8;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
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
    private static final VectorSpecies<Byte> B = Layouts.bytesPerFloatLane();

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

    /** Reassembles 6-bit values in byte lanes, converts them to floats and scales them in registers. */
    @Override
    float dotBlocks(long first, float[] x, int xOffset, int blocks) {
        FloatVector acc = FloatVector.zero(F_SPECIES);
        int len = F_SPECIES.length();
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            float d = f16(segment, o + 208);
            for (int half = 0; half < 2; half++) {
                long ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half;
                int xo = xOffset + b * 256 + 128 * half;
                for (int l = 0; l < 32; l += len) {
                    int is = l / 16;
                    var a = ByteVector.fromMemorySegment(B, segment, ql + l, LE);
                    var c = ByteVector.fromMemorySegment(B, segment, ql + 32 + l, LE);
                    var h = ByteVector.fromMemorySegment(B, segment, qh + l, LE);
                    var q1 = a.and((byte) 15).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    var q2 = c.and((byte) 15).or(h.lanewise(VectorOperators.LSHL, 2).and((byte) 0x30));
                    var q3 = a.lanewise(VectorOperators.LSHR, 4).and((byte) 15).or(h.and((byte) 0x30));
                    var q4 = c.lanewise(VectorOperators.LSHR, 4).and((byte) 15).or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 0x30));
                    acc = term(q1, d * segment.get(BYTE, sc + is), x, xo + l, acc);
                    acc = term(q2, d * segment.get(BYTE, sc + is + 2), x, xo + 32 + l, acc);
                    acc = term(q3, d * segment.get(BYTE, sc + is + 4), x, xo + 64 + l, acc);
                    acc = term(q4, d * segment.get(BYTE, sc + is + 6), x, xo + 96 + l, acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static FloatVector term(ByteVector q, float scale, float[] x, int xo, FloatVector acc) {
        var v = (FloatVector) q.sub((byte) 32).convertShape(VectorOperators.B2F, F_SPECIES, 0);
        return v.mul(scale).fma(FloatVector.fromArray(F_SPECIES, x, xo), acc);
    }
}
