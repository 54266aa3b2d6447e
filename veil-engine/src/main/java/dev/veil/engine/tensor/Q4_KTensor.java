package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.I_SPECIES;
import static dev.veil.engine.tensor.Layouts.LE;
import static dev.veil.engine.tensor.Layouts.f16;
import static dev.veil.engine.tensor.Layouts.u8;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
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
    private static final VectorSpecies<Byte> B = Layouts.bytesPerFloatLane();

    public Q4_KTensor(long size, MemorySegment segment) {
        super(GGMLType.Q4_K, size, segment);
    }

    /** Sub-block j's 6-bit scale (scale = true) or min, from the 12 packed bytes at {@code scales}. */
    static int scaleMin(MemorySegment s, long scales, int j, boolean scale) {
        if (j < 4) return u8(s, scales + j + (scale ? 0 : 4)) & 63;
        int low = u8(s, scales + j + 4), high = u8(s, scales + j - (scale ? 4 : 0)) >> 6;
        return (scale ? low & 15 : low >> 4) | (high << 4);
    }

    @Override
    public float getFloat(long index) {
        long o = (index >>> 8) * BLOCK_BYTES;
        int e = (int) (index & 255), c = e >> 6, within = e & 63, sub = 2 * c + (within >> 5);
        int q = u8(segment, o + 16 + 32 * c + (within & 31));
        int nibble = within < 32 ? q & 15 : q >> 4;
        float d1 = f16(segment, o) * scaleMin(segment, o + 4, sub, true);
        float m1 = f16(segment, o + 2) * scaleMin(segment, o + 4, sub, false);
        return d1 * nibble - m1;
    }

    @Override
    void dequantizeBlocks(long first, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            float d = f16(segment, o), dmin = f16(segment, o + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * scaleMin(segment, o + 4, 2 * c, true), m1 = dmin * scaleMin(segment, o + 4, 2 * c, false);
                float d2 = d * scaleMin(segment, o + 4, 2 * c + 1, true), m2 = dmin * scaleMin(segment, o + 4, 2 * c + 1, false);
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
     * dequantized to d·sc·q - dmin·m in registers (one FMA) and multiplied with x. Kept small and free of
     * variable shifts so that C2 compiles every vector operation to instructions.
     */
    @Override
    float dotBlocks(long first, float[] x, int xOffset, int blocks) {
        FloatVector acc = FloatVector.zero(F_SPECIES);
        int len = F_SPECIES.length();
        for (int b = 0; b < blocks; b++) {
            long o = (first + b) * BLOCK_BYTES;
            float d = f16(segment, o), dmin = f16(segment, o + 2);
            for (int c = 0; c < 4; c++) {
                var d1 = FloatVector.broadcast(F_SPECIES, d * scaleMin(segment, o + 4, 2 * c, true));
                var m1 = FloatVector.broadcast(F_SPECIES, -dmin * scaleMin(segment, o + 4, 2 * c, false));
                var d2 = FloatVector.broadcast(F_SPECIES, d * scaleMin(segment, o + 4, 2 * c + 1, true));
                var m2 = FloatVector.broadcast(F_SPECIES, -dmin * scaleMin(segment, o + 4, 2 * c + 1, false));
                int xo = xOffset + b * 256 + 64 * c;
                for (int l = 0; l < 32; l += len) {
                    var q = (IntVector) ByteVector.fromMemorySegment(B, segment, o + 16 + 32 * c + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I_SPECIES, 0);
                    var lo = ((FloatVector) q.and(15).convert(VectorOperators.I2F, 0)).fma(d1, m1);
                    var hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d2, m2);
                    acc = lo.fma(FloatVector.fromArray(F_SPECIES, x, xo + l), acc);
                    acc = hi.fma(FloatVector.fromArray(F_SPECIES, x, xo + 32 + l), acc);
                }
            }
        }
        return sumLanes(acc);
    }
}
