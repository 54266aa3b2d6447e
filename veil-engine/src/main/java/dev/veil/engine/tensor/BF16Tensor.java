package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.LE;
import static dev.veil.engine.tensor.Layouts.LE_SHORT;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** bfloat16: the upper 16 bits of an IEEE float. */
public final class BF16Tensor extends FloatTensor {
    private static final VectorSpecies<Short> S = VectorShape.forBitSize(F_SPECIES.vectorBitSize() / 2).withLanes(short.class);

    private final long size;
    private final MemorySegment segment;

    public BF16Tensor(long size, MemorySegment segment) {
        Layouts.requireBytes(segment, GGMLType.BF16, size);
        this.size = size;
        this.segment = segment;
    }

    @Override public GGMLType type() { return GGMLType.BF16; }
    @Override public long size() { return size; }
    @Override public MemorySegment segment() { return segment; }

    static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    @Override
    public float getFloat(long index) {
        return toFloat(segment.get(LE_SHORT, index * 2));
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F_SPECIES);
        int len = F_SPECIES.length(), i = 0, upper = F_SPECIES.loopBound(n);
        for (; i < upper; i += len) {
            acc = widen(segment, (offset + i) * 2).fma(FloatVector.fromArray(F_SPECIES, x, xOffset + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) sum += getFloat(offset + i) * x[xOffset + i];
        return sum;
    }

    /** F_SPECIES.length() bf16 values at byte offset {@code at}, as floats. */
    private static FloatVector widen(MemorySegment s, long at) {
        var bits = (IntVector) ShortVector.fromMemorySegment(S, s, at, LE).convertShape(VectorOperators.S2I, Layouts.I_SPECIES, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
