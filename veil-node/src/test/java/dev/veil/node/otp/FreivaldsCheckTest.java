package dev.veil.node.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingMatrix;
import dev.veil.engine.tensor.F32Tensor;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.node.MaskRandom;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The check's arithmetic over Z_2^k: one round misses an error of valuation t with probability 2^-(k-t). */
class FreivaldsCheckTest {
    static RingMatrix matrix(Ring ring, int rows, int cols, long seed) {
        var rnd = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        return RingMatrix.quantize(ring, cols, new FloatTensor[] {F32Tensor.of(w)}, new int[] {rows});
    }

    @Test
    void roundsFollowTheWorstCaseOutputBound() {
        // Z_2^64, d_in = 64: |O| < 2^(6+31+15) = 2^52, so a round gains 12 bits: 4 rounds for 2^-40
        assertEquals(4, FreivaldsCheck.rounds(Ring.Z64, FreivaldsCheck.worstBound(Ring.Z64, 64), 40));
        assertEquals(8, FreivaldsCheck.rounds(Ring.Z64, FreivaldsCheck.worstBound(Ring.Z64, 8192), 40)); // 2^59: 5 bits a round
        assertEquals(10, FreivaldsCheck.rounds(Ring.Z32, FreivaldsCheck.worstBound(Ring.Z32, 64), 40)); // 2^28 in Z_2^32: 4 bits
        assertFalse(FreivaldsCheck.rangeCheckable(Ring.Z32, FreivaldsCheck.worstBound(Ring.Z32, 512))); // 2^31: sums may wrap
        assertEquals(40, FreivaldsCheck.rounds(Ring.Z32, FreivaldsCheck.worstBound(Ring.Z32, 512), 40)); // one bit a round
        assertEquals(1, FreivaldsCheck.rounds(Ring.Z64, FreivaldsCheck.worstBound(Ring.Z64, 64), 12));
    }

    /** Share of trials in which a reply with error 2^t at one output passes a check of one round (range check bypassed). */
    static double missRate(Ring ring, int t, int trials) {
        int rows = 12, cols = 8;
        RingMatrix w = matrix(ring, rows, cols, 5);
        var stats = new OtpStats();
        try (var producer = new PadProducer(0)) {
            var check = new FreivaldsCheck(ring, w, 1, 1 << 30, producer, stats);
            assertEquals(1, check.rounds());
            var random = new MaskRandom();
            long[] e = random.ring(ring, cols), o = new long[rows];
            w.multiply(ring, e, 1, o);
            assertNull(check.fault(new long[cols], e, o, new long[rows], 1, random));
            o[5] = ring.wrap(o[5] + (1L << t));
            int missed = 0;
            for (int i = 0; i < trials; i++) {
                check.rotate(random);
                if (check.fault(new long[cols], e, o, new long[rows], 1, random) == null) missed++;
            }
            return (double) missed / trials;
        }
    }

    @Test
    void oneRoundMissesHighBitErrorsAsOftenAsTheAnalysisSays() {
        int trials = 4000; // binomial sd at p = 1/2: 0.008
        assertEquals(0.5, missRate(Ring.Z32, 31, trials), 0.04);
        assertEquals(0.25, missRate(Ring.Z32, 30, trials), 0.04);
        assertEquals(0.125, missRate(Ring.Z32, 29, trials), 0.03);
        assertEquals(0.0, missRate(Ring.Z32, 0, trials)); // 2^-32
        assertEquals(0.5, missRate(Ring.Z64, 63, trials), 0.04);
    }

    @Test
    void theRangeCheckCatchesWhatOneRoundCannot() {
        Ring ring = Ring.Z32;
        int rows = 12, cols = 8;
        RingMatrix w = matrix(ring, rows, cols, 9);
        var stats = new OtpStats();
        try (var producer = new PadProducer(0)) {
            var check = new FreivaldsCheck(ring, w, 1, 1 << 30, producer, stats);
            var random = new MaskRandom();
            var rnd = new SplittableRandom(1);
            for (int trial = 0; trial < 300; trial++) {
                long[] q = new long[cols];
                for (int i = 0; i < cols; i++) q[i] = ring.quantize((float) rnd.nextGaussian());
                long[] mask = random.ring(ring, cols), e = new long[cols], o = new long[rows], restored = new long[rows], r = new long[rows];
                for (int i = 0; i < cols; i++) e[i] = ring.wrap(q[i] + mask[i]);
                w.multiply(ring, e, 1, o);
                w.multiply(ring, mask, 1, r);
                int at = rnd.nextInt(rows);
                o[at] = ring.wrap(o[at] + (1L << 31)); // valuation 31: Freivalds alone misses half of these
                for (int j = 0; j < rows; j++) restored[j] = ring.wrap(o[j] - r[j]);
                check.rotate(random);
                String fault = check.fault(q, e, o, restored, 1, random);
                assertNotNull(fault, "trial " + trial);
                assertTrue(fault.contains("out of range"), fault);
            }
        }
    }
}
