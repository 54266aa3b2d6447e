package dev.veil.node.remo;

import dev.veil.engine.ring.Numeric;

/**
 * How a trusted node masks: the rank of the public bases, the numeric mode, and (float mode only) the mask
 * scale σ, the root-mean-square of a mask entry. In ring mode masks are uniform over the whole ring.
 */
public record RemoConfig(MaskSize size, Numeric numeric, double maskScale) {
    public RemoConfig {
        if (!(maskScale > 0) || Double.isInfinite(maskScale)) throw new IllegalArgumentException("mask scale must be positive, got " + maskScale);
    }

    public static final double DEFAULT_MASK_SCALE = 1.0;

    public static RemoConfig of(MaskSize size, Numeric numeric) {
        return new RemoConfig(size, numeric, DEFAULT_MASK_SCALE);
    }
}
