package dev.veil.node;

import dev.veil.engine.ring.Numeric;
import dev.veil.engine.tensor.GGMLType;

/**
 * How a trusted node masks: the rank of the public bases, the numeric mode, and in float mode the mask scale σ
 * (the standard deviation of a mask entry) and the type the pools are held in (F32, or F16 for half the memory
 * and memory traffic: Mpub is then drawn from F16 values so masks stay exact, and only Rpub is rounded, which
 * adds a relative error of about 3e-4·σ to each output). In ring mode masks are uniform over the whole ring and
 * pools are exact ring elements.
 */
public record RemoConfig(MaskSize size, Numeric numeric, double maskScale, GGMLType poolType) {
    public RemoConfig {
        if (!(maskScale > 0) || Double.isInfinite(maskScale)) throw new IllegalArgumentException("mask scale must be positive, got " + maskScale);
        if (poolType != GGMLType.F32 && poolType != GGMLType.F16) throw new IllegalArgumentException("pools are held as F32 or F16, not " + poolType);
        if (numeric.exact() && poolType != GGMLType.F32) throw new IllegalArgumentException("ring-mode pools are exact ring elements; F16 pools are for float mode");
    }

    public static final double DEFAULT_MASK_SCALE = 1.0;

    public RemoConfig(MaskSize size, Numeric numeric, double maskScale) {
        this(size, numeric, maskScale, GGMLType.F32);
    }

    public static RemoConfig of(MaskSize size, Numeric numeric) {
        return new RemoConfig(size, numeric, DEFAULT_MASK_SCALE);
    }
}
