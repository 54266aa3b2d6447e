package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.BYTE;
import static dev.veil.engine.tensor.Layouts.LE;
import static dev.veil.engine.tensor.Layouts.f16;
import static jdk.incubator.vector.VectorOperators.B2F;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** GGML Q8_0: blocks of 32 values, each block a half-precision scale d and 32 int8 q; value = d·q. 34 bytes. */
public final class Q8_0Tensor extends BlockTensor implements DecodeInput.Kernel {
    static final int BLOCK_BYTES = 34;
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    public Q8_0Tensor(long size, MemorySegment segment) {
        super(GGMLType.Q8_0, size, segment);
    }

    @Override
    public float getFloat(long index) {
        long b = (index >>> 5) * BLOCK_BYTES;
        return f16(segment, b) * segment.get(BYTE, b + 2 + (index & 31));
    }

    @Override
    void dequantizeBlocks(long first, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            var d = FloatVector.broadcast(F, f16(segment, o));
            for (int h = 0; h < 32; h += 16) {
                for (int k = 0; k < Lanes.PARTS; k++) {
                    Lanes.bytesToFloats(segment, o + 2 + h, k).mul(d).intoArray(dst, dstOffset + b * 32 + h + k * L);
                }
            }
        }
    }

    /** Whole blocks go straight to this class's kernel (a call C2 binds statically; see {@link BlockTensor#dot}). */
    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        if ((offset | n) % 32 == 0) return dotBlocks(offset / 32, x, xOffset, n / 32);
        return super.dot(offset, x, xOffset, n);
    }

    /**
     * Partial sum i takes elements i and 16 + i of each block, scaled by the block's d (see {@link Lanes}). The bytes are
     * read per width as measured fastest (same bits): at 512 bits the block's 32 bytes in one load, widened by
     * {@code convertShape} parts 0 and 1 (0.94-0.95x the time of two 16-byte loads); at 128 two 16-byte loads, widened
     * part by part (0.49-0.51x four int loads spread over lanes by shifts); at 256 four 8-byte loads (two 16-byte loads
     * took 0.92-1.03x the kernel's time alone, but the decode rate fell in three of four whole-model pairs). docs/kernels.md,
     * "Decode at each width".
     */
    /** How {@link #dotBlocks} reads a block's bytes at this width, for {@code veil bench}'s kernels line. */
    static String decodeReads() {
        return L == 16 ? "one 32-byte load a block" : L == 4 ? "two 16-byte loads a block" : "four 8-byte loads a block";
    }

    @Override
    float dotBlocks(long first, float[] x, int xOffset, int blocks) {
        if (L == 16) return dotBlocks512(first, x, xOffset, blocks);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES + 2;
            int xo = xOffset + b * 32;
            var d = FloatVector.broadcast(F, f16(segment, o - 2));
            // L is a constant: C2 compiles one of the two reads
            ByteVector lo = L == 4 ? ByteVector.fromMemorySegment(ByteVector.SPECIES_128, segment, o, LE) : null;
            ByteVector hi = L == 4 ? ByteVector.fromMemorySegment(ByteVector.SPECIES_128, segment, o + 16, LE) : null;
            for (int k = 0; k < Lanes.PARTS; k++) {
                var t = (L == 4 ? part(lo, k, hi, k, x, xo + k * L) : half(o, x, xo, k)).fma(d, a0);
                a0 = Lanes.PARTS > 1 ? a1 : t;
                a1 = Lanes.PARTS > 2 ? a2 : t;
                a2 = a3;
                a3 = t;
            }
        }
        return Lanes.sum(a0, a1, a2, a3);
    }

    /** q[k·L + i]·x[k·L + i] + q[16 + k·L + i]·x[16 + k·L + i] for the block's bytes at o. */
    private FloatVector half(long o, float[] x, int xo, int k) {
        var sum = Lanes.bytesToFloats(segment, o, k).mul(FloatVector.fromArray(F, x, xo + k * L));
        return Lanes.bytesToFloats(segment, o + 16, k).fma(FloatVector.fromArray(F, x, xo + 16 + k * L), sum);
    }

    private float dotBlocks512(long first, float[] x, int xOffset, int blocks) {
        FloatVector a = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES + 2;
            var q = ByteVector.fromMemorySegment(ByteVector.SPECIES_256, segment, o, LE);
            a = part(q, 0, q, 1, x, xOffset + b * 32).fma(FloatVector.broadcast(F, f16(segment, o - 2)), a);
        }
        return Lanes.sum(a, a, a, a);
    }

    /**
     * lo[i]·x[at + i] + hi[i]·x[at + 16 + i] over lanes i, the block's bytes k·L.. as part kLo of lo and bytes
     * 16 + k·L.. as part kHi of hi, at = the block's x + k·L.
     */
    private static FloatVector part(ByteVector lo, int kLo, ByteVector hi, int kHi, float[] x, int at) {
        var sum = ((FloatVector) lo.convertShape(B2F, F, kLo)).mul(FloatVector.fromArray(F, x, at));
        return ((FloatVector) hi.convertShape(B2F, F, kHi)).fma(FloatVector.fromArray(F, x, at + 16), sum);
    }

    /** Decode: one pass over the rows (all parts of a fused projection together); see {@link #decodeDot}. */
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
     * The float dot against the input itself. Measured against int8 × int8 products in 16-bit lanes with the input
     * quantized to Q8 (what this was): 0.79× the time with the weights in L2, 0.91–0.96× from memory (interleaved in
     * one JVM), and no rounding of the input.
     */
    @Override
    public float decodeDot(long first, DecodeInput a, int xBlock, int blocks) {
        return dotBlocks(first, a.x, xBlock * 32, blocks);
    }

    /** Scalar twin of {@link #decodeDot}. */
    float decodeDotScalar(long first, DecodeInput a, int xBlock, int blocks) {
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            float dot = 0f;
            for (int i = 0; i < 32; i++) dot += segment.get(BYTE, o + 2 + i) * a.x[(xBlock + b) * 32 + i];
            sum += dot * f16(segment, o);
        }
        return sum;
    }
}
