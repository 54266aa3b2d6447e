package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Lanes.I;
import static dev.veil.engine.tensor.Layouts.LE;
import static dev.veil.engine.tensor.Layouts.LE_SHORT;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** IEEE half precision. */
public final class F16Tensor extends FloatTensor {
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;
    private static final VectorSpecies<Short> S = VectorShape.forBitSize(F.vectorBitSize() / 2).withLanes(short.class);

    private final long size;
    private final MemorySegment segment;

    public F16Tensor(long size, MemorySegment segment) {
        Layouts.requireBytes(segment, GGMLType.F16, size);
        this.size = size;
        this.segment = segment;
    }

    @Override public GGMLType type() { return GGMLType.F16; }
    @Override public long size() { return size; }
    @Override public MemorySegment segment() { return segment; }

    @Override
    public float getFloat(long index) {
        return Layouts.f16(segment, index * 2);
    }

    /** 16 partial sums in {@link Lanes#PARTS} vectors, filled one part at a time, the fixed tree, then the tail (see {@link Lanes}). */
    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0, upper = n & -Lanes.SUMS;
        for (; i < upper; i += Lanes.SUMS) {
            long at = (offset + i) * 2;
            int xo = xOffset + i;
            for (int k = 0; k < Lanes.PARTS; k++) {
                var t = widen(segment, at + 2L * k * L).fma(FloatVector.fromArray(F, x, xo + k * L), a0);
                a0 = Lanes.PARTS > 1 ? a1 : t;
                a1 = Lanes.PARTS > 2 ? a2 : t;
                a2 = a3;
                a3 = t;
            }
        }
        float sum = Lanes.sum(a0, a1, a2, a3);
        for (; i < n; i++) sum += getFloat(offset + i) * x[xOffset + i];
        return sum;
    }

    /**
     * Lanes.L halves at byte offset {@code at}, as floats. The Vector API has no half conversion, so:
     * shifting exponent and mantissa into float position and multiplying by 2^112 rebiases the exponent
     * (exactly, subnormals included); infinities and NaNs get the float's all-ones exponent instead.
     */
    private static FloatVector widen(MemorySegment s, long at) {
        var h = (IntVector) ShortVector.fromMemorySegment(S, s, at, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, Lanes.I, 0);
        IntVector magnitude = h.and(0x7fff), shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector bits = finite.blend(shifted.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }
}
