package dev.veil.cli;

import dev.veil.engine.ring.Numeric;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import picocli.CommandLine.Option;

/** ReMO's settings, shared by the commands that mask: the rank m of the public bases, numeric mode, mask scale. */
final class RemoOptions {
    @Option(names = "--m-fraction", defaultValue = "0.125",
            description = "rank m of each public base as a fraction of the matrix's input width d_in (default: ${DEFAULT-VALUE})")
    double mFraction;

    @Option(names = "--m", description = "rank m as a number of rows (overrides --m-fraction; capped at d_in - 1)")
    Integer m;

    @Option(names = "--numeric",
            description = "float (the engine's kernels), exact (integer ring Z_2^64) or z32 (Z_2^32) (default: float; exact for remo-otp)")
    String numeric;

    @Option(names = "--mask-scale", defaultValue = "1",
            description = "float mode: standard deviation of each mask entry (default: ${DEFAULT-VALUE}); ring masks are uniform")
    double maskScale;

    /** The mode when --numeric is not given: float, unless the command needs a ring (remo-otp sets Z_2^64). */
    Numeric fallback = Numeric.FLOAT;

    Numeric numeric() {
        return numeric == null ? fallback : Numeric.parse(numeric);
    }

    /** For remo-otp: the numeric mode given, else Z_2^64 (also for {@link #config()} from now on). */
    Numeric ringFallback() {
        fallback = Numeric.Z64;
        return numeric();
    }

    RemoConfig config() {
        MaskSize size = m != null ? MaskSize.rows(m) : MaskSize.fraction(mFraction);
        return new RemoConfig(size, numeric(), maskScale);
    }

    /** For messages: "m = d_in/8, float" and the like. */
    String describe() {
        var c = config();
        String rank = m != null ? "m = " + m : "m = " + trim(mFraction) + "·d_in";
        return rank + ", " + c.numeric() + (c.numeric().exact() ? "" : ", mask scale " + trim(maskScale));
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
