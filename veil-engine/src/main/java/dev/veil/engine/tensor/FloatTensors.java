package dev.veil.engine.tensor;

import dev.veil.engine.model.ModelFormatException;
import java.lang.foreign.MemorySegment;

/** Creates the tensor class of a GGML type over its bytes. */
public final class FloatTensors {
    private FloatTensors() {}

    public static FloatTensor create(GGMLType type, long size, MemorySegment segment) {
        return switch (type) {
            case F32 -> new F32Tensor(size, segment);
            default -> throw new ModelFormatException("tensor type " + type + " is not supported (supported: "
                    + GGMLType.SUPPORTED + ")");
        };
    }
}
