package dev.veil.node.shares;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.veil.engine.ring.Ring;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The check rows' miss probability, measured against the best adversary that cannot see α: it adds an error D of
 * 2-adic valuation t to one result and D (a guess of α·D) to every check row's, which passes a check row iff
 * α ≡ 1 mod 2^(k-t): probability 2^-(k-t) each. The range check leaves only small t (docs/shares.md).
 */
class CheckRowsTest {
    static final int D_OUT = 4;

    /** Share of trials in which the adversary's error passes, with l check rows over ring, input rows q (1 × d_in). */
    static double missRate(Ring ring, long[] q, int l, long error, int trials) {
        var random = new ShareRandom();
        var truth = new SplittableRandom(1);
        int dIn = q.length, passed = 0;
        for (int t = 0; t < trials; t++) {
            long[] alpha = random.ring(ring, l);
            long[] o = new long[(1 + l) * D_OUT];
            for (int j = 0; j < D_OUT; j++) o[j] = truth.nextInt(-1000, 1000); // any true result of q
            CheckRows.combine(ring, alpha, o, 1, l, D_OUT, o, D_OUT); // what honest servers' check rows sum to
            assertNull(CheckRows.fault(ring, alpha, q, o, 1, l, dIn, D_OUT));
            o[0] = ring.wrap(o[0] + error);
            for (int j = 1; j <= l; j++) o[j * D_OUT] = ring.wrap(o[j * D_OUT] + error);
            if (CheckRows.fault(ring, alpha, q, o, 1, l, dIn, D_OUT) == null) passed++;
        }
        return (double) passed / trials;
    }

    @Test
    void oneCheckRowMissesAnErrorOfValuationTWithProbabilityTwoToTheMinusKMinusT() {
        long[] wide = new long[512]; // in Z_2^32 with d_in = 512 the output bound reaches 2^31: no range check, check rows alone
        java.util.Arrays.fill(wide, Ring.Z32.maxActivation());
        assertEquals(0.5, missRate(Ring.Z32, wide, 1, 1L << 31, 20_000), 0.02);
        assertEquals(0.25, missRate(Ring.Z32, wide, 1, 1L << 30, 20_000), 0.02);
        assertEquals(0.125, missRate(Ring.Z32, wide, 1, 1L << 29, 20_000), 0.015);
        assertEquals(0.25, missRate(Ring.Z32, wide, 2, 1L << 31, 20_000), 0.02); // independent check rows multiply
        assertEquals(0.0, missRate(Ring.Z32, wide, 1, 1, 20_000), 0.0005); // an odd error: α ≡ 1 mod 2^32, never here
    }

    @Test
    void theRangeCheckCatchesEveryLargeErrorTheCheckRowsMightMiss() {
        long[] q = new long[64];
        java.util.Arrays.fill(q, 1L << 20); // bound 64 · 2^20 · (2^15 - 1) < 2^41
        assertEquals(0.0, missRate(Ring.Z64, q, 1, Long.MIN_VALUE, 5_000)); // the top bit: caught every time
        assertEquals(0.0, missRate(Ring.Z64, q, 1, 1L << 45, 5_000));
        long[] o = {5, 0, 0, 0};
        assertEquals("output out of range", CheckRows.fault(Ring.Z64, new long[0], q, new long[] {1L << 42, 0, 0, 0}, 1, 0, 64, D_OUT));
        assertNull(CheckRows.fault(Ring.Z64, new long[0], q, o, 1, 0, 64, D_OUT));
    }

    @Test
    void rowsFollowFromTheWorstCaseBound() {
        assertEquals(4, CheckRows.count(Ring.Z64, 64, 40)); // 2^52: 12 bits a row
        assertEquals(6, CheckRows.count(Ring.Z64, 2048, 40)); // the 1B shape's QKV, O, gate/up, LM head
        assertEquals(8, CheckRows.count(Ring.Z64, 8192, 40)); // its down projection
        assertEquals(40, CheckRows.count(Ring.Z32, 512, 40)); // one bit a row
        assertEquals(0, CheckRows.count(Ring.Z64, 64, 0));
    }
}
