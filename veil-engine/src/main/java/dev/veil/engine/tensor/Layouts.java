package dev.veil.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian value layouts of GGML files, and the half-precision scale every block format starts with. */
final class Layouts {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private Layouts() {}

    /** IEEE half at byte offset {@code offset}, widened. */
    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(LE_SHORT, offset));
    }

    static int u8(MemorySegment s, long offset) {
        return s.get(BYTE, offset) & 0xFF;
    }

    static void requireBytes(MemorySegment segment, GGMLType type, long size) {
        if (size < 0 || size % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " tensor needs a multiple of " + type.blockSize + " elements, got " + size);
        }
        long need = type.byteSize(size);
        if (segment.byteSize() < need) {
            throw new IllegalArgumentException(type + " tensor of " + size + " elements needs " + need + " bytes, segment has "
                    + segment.byteSize());
        }
    }
}
