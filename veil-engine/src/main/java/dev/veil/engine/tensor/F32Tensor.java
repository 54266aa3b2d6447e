package dev.veil.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** 32-bit float tensor over a (usually memory-mapped) segment. */
public final class F32Tensor extends FloatTensor {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    private final long size;
    private final MemorySegment segment;

    public F32Tensor(long size, MemorySegment segment) {
        if (segment.byteSize() < size * 4) throw new IllegalArgumentException("segment too small for " + size + " floats");
        this.size = size;
        this.segment = segment;
    }

    /** A heap tensor holding a copy of {@code values}' order (the array itself backs it). */
    public static F32Tensor of(float[] values) {
        return new F32Tensor(values.length, MemorySegment.ofArray(values));
    }

    @Override public GGMLType type() { return GGMLType.F32; }
    @Override public long size() { return size; }
    @Override public MemorySegment segment() { return segment; }

    @Override
    public float getFloat(long index) {
        return segment.get(LE_FLOAT, index * 4);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        MemorySegment.copy(segment, LE_FLOAT, offset * 4, dst, dstOffset, n);
    }

    /** 16 partial sums in {@link Lanes#PARTS} vectors, the fixed tree, then the tail (see {@link Lanes}). */
    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0, upper = n & -Lanes.SUMS;
        for (; i < upper; i += Lanes.SUMS) {
            long at = (offset + i) * 4;
            int xo = xOffset + i;
            a0 = load(at).fma(FloatVector.fromArray(F, x, xo), a0);
            if (Lanes.PARTS > 1) a1 = load(at + 4L * L).fma(FloatVector.fromArray(F, x, xo + L), a1);
            if (Lanes.PARTS > 2) {
                a2 = load(at + 8L * L).fma(FloatVector.fromArray(F, x, xo + 2 * L), a2);
                a3 = load(at + 12L * L).fma(FloatVector.fromArray(F, x, xo + 3 * L), a3);
            }
        }
        float sum = Lanes.sum(a0, a1, a2, a3);
        for (; i < n; i++) sum += getFloat(offset + i) * x[xOffset + i];
        return sum;
    }

    private FloatVector load(long at) {
        return FloatVector.fromMemorySegment(F, segment, at, ByteOrder.LITTLE_ENDIAN);
    }
}
