package dev.veil.node.shares;

import dev.veil.engine.ring.Ring;
import dev.veil.node.RangeCheck;
import java.util.Arrays;

/**
 * The check of a shared call without the weights. The node appends ℓ rows c = α·q to the call's n input rows q,
 * with α (ℓ × n) secret and uniform over the ring, and shares all n + ℓ rows alike, so each server sees n + ℓ
 * uniform rows and cannot tell a check row from an input row (nor learn α). By linearity the summed replies obey
 * O'_c = α·O'_q. A server that adds an error D to its results must add α·D to the check rows' results without
 * knowing α: for an error of 2-adic valuation t that succeeds with probability at most 2^-(k-t) per check row.
 * The range check (|O| ≤ ‖q‖₁·w_max) catches every error above twice the bound, so each check row gains
 * k - bits(B) bits, as a Freivalds round does in remo-otp ({@link RangeCheck}; docs/shares.md).
 */
final class CheckRows {
    private CheckRows() {}

    /** Check rows for a miss probability of at most 2^-λ on a matrix with d_in inputs (0 when λ = 0). */
    static int count(Ring ring, int dIn, int lambda) {
        return lambda == 0 ? 0 : RangeCheck.rounds(ring, RangeCheck.worstBound(ring, dIn), lambda);
    }

    /** c[cOffset + j·cols ..] = Σ_i α[j·n + i] · v[i·cols ..] over the ring, for the l check rows. */
    static void combine(Ring ring, long[] alpha, long[] v, int n, int l, int cols, long[] c, int cOffset) {
        for (int j = 0; j < l; j++) {
            int at = cOffset + j * cols;
            Arrays.fill(c, at, at + cols, 0);
            for (int i = 0; i < n; i++) {
                long s = alpha[j * n + i];
                int from = i * cols;
                for (int k = 0; k < cols; k++) c[at + k] += s * v[from + k];
            }
            for (int k = at; k < at + cols; k++) c[k] = ring.wrap(c[k]);
        }
    }

    /**
     * Why the summed replies o ((n + l) × d_out) to input rows q (n × d_in) are wrong; null when they pass. Alone,
     * the range check's verdict would depend on O; together with the check rows any wrong reply fails but with
     * probability 2^-λ, whatever the input is, so the verdict tells a server nothing about it.
     */
    static String fault(Ring ring, long[] alpha, long[] q, long[] o, int n, int l, int dIn, int dOut) {
        for (int r = 0; r < n; r++) {
            long bound = RangeCheck.outputBound(ring, RangeCheck.l1(q, r, dIn));
            if (!RangeCheck.checkable(ring, bound)) continue;
            for (int j = r * dOut; j < (r + 1) * dOut; j++) if (o[j] > bound || o[j] < -bound) return "output out of range";
        }
        long[] expected = new long[l * dOut];
        combine(ring, alpha, o, n, l, dOut, expected, 0);
        for (int i = 0; i < expected.length; i++) if (expected[i] != o[n * dOut + i]) return "check row " + (i / dOut) + " failed";
        return null;
    }
}
