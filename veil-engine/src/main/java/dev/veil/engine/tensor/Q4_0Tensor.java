package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.BYTE;
import static dev.veil.engine.tensor.Layouts.LE;
import static dev.veil.engine.tensor.Layouts.f16;

import dev.veil.engine.Parallel;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GGML Q4_0: blocks of 32 values, each a half-precision scale d and 16 bytes qs; value i &lt; 16 is
 * d·((qs[i] &amp; 15) - 8), value 16 + i is d·((qs[i] &gt;&gt; 4) - 8). 18 bytes.
 */
public final class Q4_0Tensor extends BlockTensor {
    static final int BLOCK_BYTES = 18;
    private static final VectorSpecies<Byte> B = Layouts.bytesPerFloatLane();
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

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
        int len = F_SPECIES.length();
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            var d = FloatVector.broadcast(F_SPECIES, f16(segment, o));
            for (int i = 0; i < 16; i += len) {
                var q = ByteVector.fromMemorySegment(B, segment, o + 2 + i, LE);
                var lo = (FloatVector) q.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F_SPECIES, 0);
                var hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F_SPECIES, 0);
                lo.mul(d).intoArray(dst, dstOffset + b * 32 + i);
                hi.mul(d).intoArray(dst, dstOffset + b * 32 + 16 + i);
            }
        }
    }

    /** Whole blocks go straight to this class's kernel (a call C2 binds statically; see {@link BlockTensor#dot}). */
    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        if ((offset | n) % 32 == 0) return dotBlocks(offset / 32, x, xOffset, n / 32);
        return super.dot(offset, x, xOffset, n);
    }

    @Override
    float dotBlocks(long first, float[] x, int xOffset, int blocks) {
        FloatVector acc = FloatVector.zero(F_SPECIES);
        int len = F_SPECIES.length();
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            int xo = xOffset + b * 32;
            FloatVector sum = FloatVector.zero(F_SPECIES);
            for (int i = 0; i < 16; i += len) {
                var q = ByteVector.fromMemorySegment(B, segment, o + 2 + i, LE);
                var lo = (FloatVector) q.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F_SPECIES, 0);
                var hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F_SPECIES, 0);
                sum = lo.fma(FloatVector.fromArray(F_SPECIES, x, xo + i), sum);
                sum = hi.fma(FloatVector.fromArray(F_SPECIES, x, xo + 16 + i), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F_SPECIES, f16(segment, o)), acc);
        }
        return sumLanes(acc);
    }

    /** Decode: integer dot products against the input quantized to Q8 once per call (see {@link Q8_0Tensor}). */
    @Override
    public void matmul(float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        checkShape(x, n, rows, cols, out, outStride, outOffset);
        if (n >= GEMM_MIN_ROWS || cols % 32 != 0 || !Q8Activations.KERNELS) {
            super.matmul(x, n, rows, cols, out, outStride, outOffset);
            return;
        }
        var a = Q8Activations.quantize(x, n, cols);
        int blocks = cols / 32;
        Parallel.forEach(rows, j -> {
            for (int r = 0; r < n; r++) out[r * outStride + outOffset + j] = dotQ8((long) j * blocks, a, r * blocks, blocks);
        });
    }

    /**
     * Σ_blocks d_w·d_x·Σ (q_w - 8)·q_x, computed as Σ q_w·q_x - 8·Σ q_x: the unsigned nibbles multiply in
     * 16-bit lanes (|products| &lt;= 2·15·127 after adding the two halves), the 16 sums widen to floats and take
     * the block's scale, and the offset costs one scalar term per block. (Measured against summing lane pairs
     * to 32 bits first and against the float-input dot: this was fastest.)
     */
    float dotQ8(long first, Q8Activations a, int xBlock, int blocks) {
        FloatVector acc = FloatVector.zero(F512);
        float offset = 0f;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            int xo = (xBlock + b) * 32;
            var v = (ShortVector) ByteVector.fromMemorySegment(B128, segment, o + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S256, 0);
            ShortVector lo = v.and((short) 15), hi = v.lanewise(VectorOperators.LSHR, 4);
            ShortVector p = lo.mul(ShortVector.fromArray(S256, a.q, xo)).add(hi.mul(ShortVector.fromArray(S256, a.q, xo + 16)));
            float d = f16(segment, o);
            acc = ((FloatVector) p.convertShape(VectorOperators.S2F, F512, 0)).fma(FloatVector.broadcast(F512, d * a.d[xBlock + b]), acc);
            offset += d * a.scaledSums[xBlock + b];
        }
        return sumLanes(acc) - 8f * offset;
    }

    /** Scalar twin of {@link #dotQ8}. */
    float dotQ8Scalar(long first, Q8Activations a, int xBlock, int blocks) {
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            int xo = (xBlock + b) * 32, dot = 0;
            for (int i = 0; i < 16; i++) {
                int q = segment.get(BYTE, o + 2 + i);
                dot += ((q & 15) - 8) * a.q[xo + i] + (((q >> 4) & 15) - 8) * a.q[xo + 16 + i];
            }
            sum += dot * (f16(segment, o) * a.d[xBlock + b]);
        }
        return sum;
    }
}
