package dev.veil.engine.ring;

import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;

/** How weight multiplies compute: the engine's float kernels, or exactly over a ring. */
public enum Numeric {
    FLOAT(null), Z32(Ring.Z32), Z64(Ring.Z64);

    /** The ring, or null for float. */
    public final Ring ring;

    Numeric(Ring ring) {
        this.ring = ring;
    }

    public boolean exact() {
        return ring != null;
    }

    /** Parses {@code float}, {@code exact} (= z64), {@code z64} or {@code z32}. */
    public static Numeric parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "float" -> FLOAT;
            case "exact", "z64" -> Z64;
            case "z32" -> Z32;
            default -> throw new IllegalArgumentException("unknown numeric mode '" + s + "' (float, exact, z64, z32)");
        };
    }

    /** The plain engine's weight multiplies in this mode. */
    public LinearOps plain(LlamaConfig config, LinearWeights weights) {
        return ring == null ? new LocalLinearOps(config, weights) : new RingLinearOps(config, weights, ring);
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
