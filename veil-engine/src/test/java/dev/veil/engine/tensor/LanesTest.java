package dev.veil.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The width in use, the width switch, and the fixed summation tree every float reduction ends in. */
@Tag("vector")
class LanesTest {
    @Test
    void runsAtTheWidthTheBuildAskedFor() {
        String expected = System.getProperty("veil.expectedVectorBits");
        if (expected != null) assertEquals(Integer.parseInt(expected), Lanes.bits(), "surefire execution's width");
        assertEquals(Lanes.SUMS, Lanes.L * Lanes.PARTS);
    }

    @Test
    void widthSwitchTakes128To512AndIgnoresOtherValues() {
        assertEquals(128, Lanes.floatSpecies("128").vectorBitSize());
        assertEquals(256, Lanes.floatSpecies(" 256").vectorBitSize());
        assertEquals(512, Lanes.floatSpecies("512").vectorBitSize());
        int preferred = Math.max(128, Math.min(512, FloatVector.SPECIES_PREFERRED.vectorBitSize()));
        assertEquals(preferred, Lanes.floatSpecies("300").vectorBitSize());
        assertEquals(preferred, Lanes.floatSpecies("wide").vectorBitSize());
        assertEquals(preferred, Lanes.floatSpecies(null).vectorBitSize());
    }

    /** The vector tree (over PARTS vectors) and the array tree add the same partial sums in the same order. */
    @Test
    void vectorTreeEqualsArrayTreeBitForBit() {
        var rnd = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            float[] p = new float[Lanes.SUMS];
            for (int i = 0; i < p.length; i++) p[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
            FloatVector[] v = new FloatVector[4];
            for (int k = 0; k < 4; k++) v[k] = k < Lanes.PARTS ? FloatVector.fromArray(Lanes.F, p, k * Lanes.L) : FloatVector.zero(Lanes.F);
            float u0 = p[0] + p[8], u1 = p[1] + p[9], u2 = p[2] + p[10], u3 = p[3] + p[11];
            float u4 = p[4] + p[12], u5 = p[5] + p[13], u6 = p[6] + p[14], u7 = p[7] + p[15];
            float expected = ((u0 + u4) + (u2 + u6)) + ((u1 + u5) + (u3 + u7));
            assertEquals(expected, Lanes.sum(p, 0));
            assertEquals(expected, Lanes.sum(v[0], v[1], v[2], v[3]));
        }
    }
}
