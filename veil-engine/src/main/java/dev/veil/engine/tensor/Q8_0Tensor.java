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

/** GGML Q8_0: blocks of 32 values, each block a half-precision scale d and 32 int8 q; value = d·q. 34 bytes. */
public final class Q8_0Tensor extends BlockTensor {
    static final int BLOCK_BYTES = 34;
    private static final VectorSpecies<Byte> B = Layouts.bytesPerFloatLane();
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

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
        int len = F_SPECIES.length();
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            var d = FloatVector.broadcast(F_SPECIES, f16(segment, o));
            for (int i = 0; i < 32; i += len) {
                var q = (FloatVector) ByteVector.fromMemorySegment(B, segment, o + 2 + i, LE).convertShape(VectorOperators.B2F, F_SPECIES, 0);
                q.mul(d).intoArray(dst, dstOffset + b * 32 + i);
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
            for (int i = 0; i < 32; i += len) {
                var q = (FloatVector) ByteVector.fromMemorySegment(B, segment, o + 2 + i, LE).convertShape(VectorOperators.B2F, F_SPECIES, 0);
                sum = q.fma(FloatVector.fromArray(F_SPECIES, x, xo + i), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F_SPECIES, f16(segment, o)), acc);
        }
        return sumLanes(acc);
    }

    /**
     * Decode: quantizes the few input rows to Q8 once, then each output is an integer dot product per block:
     * int8 × int8 in 16-bit lanes, the two halves of the block added (|sum| &lt;= 2·128·127 still fits), the 16
     * sums widened to floats and scaled by d_w·d_x into a float accumulator. (Measured against summing lane
     * pairs to 32 bits in 512-bit lanes and against the float-input dot: this was fastest.)
     */
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

    float dotQ8(long first, Q8Activations a, int xBlock, int blocks) {
        FloatVector acc = FloatVector.zero(F512);
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            int xo = (xBlock + b) * 32;
            var w0 = (ShortVector) ByteVector.fromMemorySegment(B128, segment, o + 2, LE).convertShape(VectorOperators.B2S, S256, 0);
            var w1 = (ShortVector) ByteVector.fromMemorySegment(B128, segment, o + 18, LE).convertShape(VectorOperators.B2S, S256, 0);
            ShortVector p = w0.mul(ShortVector.fromArray(S256, a.q, xo)).add(w1.mul(ShortVector.fromArray(S256, a.q, xo + 16)));
            acc = ((FloatVector) p.convertShape(VectorOperators.S2F, F512, 0)).fma(FloatVector.broadcast(F512, f16(segment, o) * a.d[xBlock + b]), acc);
        }
        return sumLanes(acc);
    }

    /** Scalar twin of {@link #dotQ8}. */
    float dotQ8Scalar(long first, Q8Activations a, int xBlock, int blocks) {
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            int dot = 0;
            for (int i = 0; i < 32; i++) dot += segment.get(BYTE, o + 2 + i) * a.q[(xBlock + b) * 32 + i];
            sum += dot * (f16(segment, o) * a.d[xBlock + b]);
        }
        return sum;
    }
}
