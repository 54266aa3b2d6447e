package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.BYTE;
import static dev.veil.engine.tensor.Layouts.LE;
import static dev.veil.engine.tensor.Layouts.f16;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GGML Q4_0: blocks of 32 values, each a half-precision scale d and 16 bytes qs; value i &lt; 16 is
 * d·((qs[i] &amp; 15) - 8), value 16 + i is d·((qs[i] &gt;&gt; 4) - 8). 18 bytes.
 */
public final class Q4_0Tensor extends BlockTensor implements DecodeInput.Kernel {
    static final int BLOCK_BYTES = 18;
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    public Q4_0Tensor(long size, MemorySegment segment) {
        super(GGMLType.Q4_0, size, segment);
    }

    @Override
    public float getFloat(long index) {
        long b = (index >>> 5) * BLOCK_BYTES;
        int i = (int) (index & 31);
        int q = segment.get(BYTE, b + 2 + (i & 15));
        return f16(segment, b) * (((i < 16 ? q : q >> 4) & 15) - 8);
    }

    @Override
    void dequantizeBlocks(long first, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            var d = FloatVector.broadcast(F, f16(segment, o));
            for (int k = 0; k < Lanes.PARTS; k++) {
                IntVector q = Lanes.bytesToInts(segment, o + 2, k);
                nibbles(q.and(15)).mul(d).intoArray(dst, dstOffset + b * 32 + k * L);
                nibbles(q.lanewise(VectorOperators.LSHR, 4)).mul(d).intoArray(dst, dstOffset + b * 32 + 16 + k * L);
            }
        }
    }

    private static FloatVector nibbles(IntVector q) {
        return (FloatVector) q.sub(8).convert(VectorOperators.I2F, 0);
    }

    /** Whole blocks go straight to this class's kernel (a call C2 binds statically; see {@link BlockTensor#dot}). */
    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        if ((offset | n) % 32 == 0) return dotBlocks(offset / 32, x, xOffset, n / 32);
        return super.dot(offset, x, xOffset, n);
    }

    /** Partial sum i takes elements i and 16 + i of each block, scaled by the block's d (see {@link Lanes}). */
    @Override
    float dotBlocks(long first, float[] x, int xOffset, int blocks) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES + 2;
            int xo = xOffset + b * 32;
            var d = FloatVector.broadcast(F, f16(segment, o - 2));
            for (int k = 0; k < Lanes.PARTS; k++) {
                var t = half(o, x, xo, k).fma(d, a0);
                a0 = Lanes.PARTS > 1 ? a1 : t;
                a1 = Lanes.PARTS > 2 ? a2 : t;
                a2 = a3;
                a3 = t;
            }
        }
        return Lanes.sum(a0, a1, a2, a3);
    }

    /** (lo_i - 8)·x[k·L + i] + (hi_i - 8)·x[16 + k·L + i] for bytes k·L + i of the block at o. */
    private FloatVector half(long o, float[] x, int xo, int k) {
        IntVector q = Lanes.bytesToInts(segment, o, k);
        var sum = nibbles(q.and(15)).mul(FloatVector.fromArray(F, x, xo + k * L));
        return nibbles(q.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(F, x, xo + 16 + k * L), sum);
    }

    /** Decode: one pass over the rows against the float input and its block sums (see {@link #decodeDot}). */
    @Override
    public void matmul(float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        checkShape(x, n, rows, cols, out, outStride, outOffset);
        if (n >= GEMM_MIN_ROWS || cols % 32 != 0) {
            super.matmul(x, n, rows, cols, out, outStride, outOffset);
            return;
        }
        decodeMatmul(this, x, n, rows, cols, out, outStride, outOffset);
    }

    /**
     * Σ_blocks d_w·Σ (q_w - 8)·x, computed as Σ d_w·Σ q_w·x - 8·Σ d_w·Σ x: the unsigned nibbles widen to floats and
     * multiply the float input, each block's 16 sums take its scale, and the offset costs one scalar term per block
     * (the block sums of x come with the input). Fewer instructions per block than multiplying by the input quantized
     * to 8 bits, as this did (~1.1x the decode rate at the 1B shape), and no rounding of the input.
     */
    /** How {@link #decodeDot} reads a block's bytes at this width, for {@code veil bench}'s kernels line. */
    static String decodeReads() {
        return L == 8 ? "one 16-byte load a block" : "two 8-byte loads a block";
    }

    @Override
    public float decodeDot(long first, DecodeInput a, int xBlock, int blocks) {
        if (L == 8) return decodeDot256(first, a, xBlock, blocks);
        float[] x = a.x;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        float offset = 0f;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES + 2;
            int xo = (xBlock + b) * 32;
            float dw = f16(segment, o - 2);
            var d = FloatVector.broadcast(F, dw);
            for (int k = 0; k < Lanes.PARTS; k++) {
                var t = unsignedHalf(o, x, xo, k).fma(d, a0);
                a0 = Lanes.PARTS > 1 ? a1 : t;
                a1 = Lanes.PARTS > 2 ? a2 : t;
                a2 = a3;
                a3 = t;
            }
            offset += dw * a.sums[xBlock + b];
        }
        return Lanes.sum(a0, a1, a2, a3) - 8f * offset;
    }

    /**
     * {@link #decodeDot} at 256 bits, the same sums: the block's 16 bytes in one load, widened by {@code convertShape}
     * parts 0 and 1, the two halves written out. 0.89-0.91x the time of the parts loop's two 8-byte loads (from L2 and
     * from memory); the same load in the parts loop gave 0.95x, and at 128 bits 1.11-1.14x (docs/kernels.md).
     */
    private float decodeDot256(long first, DecodeInput a, int xBlock, int blocks) {
        float[] x = a.x;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        float offset = 0f;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES + 2;
            int xo = (xBlock + b) * 32;
            float dw = f16(segment, o - 2);
            var d = FloatVector.broadcast(F, dw);
            var q = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, segment, o, LE);
            a0 = unsignedHalf((IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 0), x, xo).fma(d, a0);
            a1 = unsignedHalf((IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 1), x, xo + L).fma(d, a1);
            offset += dw * a.sums[xBlock + b];
        }
        return Lanes.sum(a0, a1, a0, a1) - 8f * offset;
    }

    /** lo_i·x[k·L + i] + hi_i·x[16 + k·L + i] for bytes k·L + i of the block at o (nibbles without the -8). */
    private FloatVector unsignedHalf(long o, float[] x, int xo, int k) {
        IntVector q = Lanes.bytesToInts(segment, o, k);
        var lo = (FloatVector) q.and(15).convert(VectorOperators.I2F, 0);
        var hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
        return hi.fma(FloatVector.fromArray(F, x, xo + 16 + k * L), lo.mul(FloatVector.fromArray(F, x, xo + k * L)));
    }

    /** The same for the bytes q_i already widened, against x[at + i] and x[at + 16 + i] (the 256-bit kernel's). */
    private static FloatVector unsignedHalf(IntVector q, float[] x, int at) {
        var lo = (FloatVector) q.and(15).convert(VectorOperators.I2F, 0);
        var hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
        return hi.fma(FloatVector.fromArray(F, x, at + 16), lo.mul(FloatVector.fromArray(F, x, at)));
    }

    /** Scalar twin of {@link #decodeDot}: Σ_blocks d_w·Σ (q_w - 8)·x, as the format defines it. */
    float decodeDotScalar(long first, DecodeInput a, int xBlock, int blocks) {
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            int xo = (xBlock + b) * 32;
            float dot = 0f;
            for (int i = 0; i < 16; i++) {
                int q = segment.get(BYTE, o + 2 + i);
                dot += ((q & 15) - 8) * a.x[xo + i] + (((q >> 4) & 15) - 8) * a.x[xo + 16 + i];
            }
            sum += dot * f16(segment, o);
        }
        return sum;
    }
}
