package dev.veil.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/** 32-bit float tensor over a (usually memory-mapped) segment. */
public final class F32Tensor extends FloatTensor {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F_SPECIES);
        int len = F_SPECIES.length(), i = 0, upper = F_SPECIES.loopBound(n);
        for (; i < upper; i += len) {
            var w = FloatVector.fromMemorySegment(F_SPECIES, segment, (offset + i) * 4, ByteOrder.LITTLE_ENDIAN);
            acc = w.fma(FloatVector.fromArray(F_SPECIES, x, xOffset + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) sum += getFloat(offset + i) * x[xOffset + i];
        return sum;
    }
}
