package dev.veil.node;

import dev.veil.engine.ring.Ring;

/**
 * The output bound of a ring product and what it buys a check (docs/otp.md, "The range check closes the gap"):
 * a true output of an input row q obeys |O| ≤ B = ‖q‖₁·w_max. If B < 2^(k-2) no true output wraps, and an error
 * above 2B always lands outside [-B, B]; the errors left have 2-adic valuation at most bits(B), so a check with a
 * secret uniform coefficient (a Freivalds round, a check row) misses one with probability at most 2^-(k - bits(B)).
 * Shared by remo-otp (Freivalds' test) and shares (check rows).
 */
public final class RangeCheck {
    private RangeCheck() {}

    /** The largest |O| any input can give: d_in · the largest encoded activation · the largest weight. */
    public static long worstBound(Ring ring, int dIn) {
        return outputBound(ring, (long) dIn * ring.maxActivation());
    }

    /** The bound on |O| for an input row of L1 norm l1: l1 · w_max, Long.MAX_VALUE if that overflows. */
    public static long outputBound(Ring ring, long l1) {
        try {
            return Math.multiplyExact(l1, (long) ring.maxWeight());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Whether a range check with bound B is sound and useful: B < 2^(k-2). */
    public static boolean checkable(Ring ring, long bound) {
        return bound < (1L << (ring.bits - 2));
    }

    /** Rounds (or check rows) for a miss probability of at most 2^-λ, from the worst-case bound (no data-dependent work). */
    public static int rounds(Ring ring, long bound, int lambda) {
        int s = checkable(ring, bound) ? ring.bits - (64 - Long.numberOfLeadingZeros(bound)) : 1;
        return (lambda + s - 1) / s;
    }

    /** The L1 norm of row r of q (n × cols). */
    public static long l1(long[] q, int r, int cols) {
        long s = 0;
        for (int i = r * cols; i < (r + 1) * cols; i++) s += Math.abs(q[i]);
        return s;
    }
}
