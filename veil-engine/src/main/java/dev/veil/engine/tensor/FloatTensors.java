package dev.veil.engine.tensor;

import dev.veil.engine.ModelFormatException;
import java.lang.foreign.MemorySegment;

/** Creates the tensor class of a GGML type over its bytes. */
public final class FloatTensors {
    private FloatTensors() {}

    public static FloatTensor create(GGMLType type, long size, MemorySegment segment) {
        return switch (type) {
            case F32 -> new F32Tensor(size, segment);
            case F16 -> new F16Tensor(size, segment);
            case BF16 -> new BF16Tensor(size, segment);
            case Q8_0 -> new Q8_0Tensor(size, segment);
            case Q4_0 -> new Q4_0Tensor(size, segment);
            case Q4_K -> new Q4_KTensor(size, segment);
            case Q6_K -> new Q6_KTensor(size, segment);
            default -> throw new ModelFormatException("tensor type " + type + " is not supported (supported: "
                    + GGMLType.SUPPORTED + ")");
        };
    }

    /** Quantizes {@code values} to {@code type} (see {@link Quantizer}) and wraps the bytes: for tests and tools. */
    public static FloatTensor quantize(GGMLType type, float[] values) {
        return create(type, values.length, MemorySegment.ofArray(Quantizer.quantize(type, values)));
    }
}
