package dev.veil.engine.tensor;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * Prints one line per kernel of the attention inner loops and the summation tree every decode kernel ends in: the
 * bytes it allocates per call once C2 has compiled it (run with {@code -XX:-TieredCompilation -Xbatch}, see
 * {@link AllocationFreeKernelsTest}). Anything above zero is a Vector API operation C2 did not intrinsify at this
 * width, running as Java code that boxes every vector.
 */
public final class AllocationProbe {
    private static final int COLS = 512, WARM = Integer.getInteger("warm", 3000), MEASURED = 2000;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static float sink;

    private AllocationProbe() {}

    public static void main(String[] args) {
        System.out.println("bits " + Lanes.bits());
        for (String line : lines()) System.out.println(line);
    }

    static List<String> lines() {
        List<String> out = new ArrayList<>();
        var rnd = new Random(9);
        float[] x = TensorKernelTest.gaussian(rnd, COLS), y = TensorKernelTest.gaussian(rnd, COLS);
        out.add("VectorMath.dot(64) " + perCall(() -> VectorMath.dot(x, 0, y, 0, 64)));
        out.add("VectorMath.dot(" + (COLS - 3) + ") " + perCall(() -> VectorMath.dot(x, 1, y, 2, COLS - 3)));
        out.add("VectorMath.axpy(64) " + perCall(() -> {
            VectorMath.axpy(0.5f, x, 0, y, 64, 64);
            return y[64];
        }));
        FloatVector[] v = new FloatVector[4];
        for (int k = 0; k < 4; k++) v[k] = FloatVector.fromArray(Lanes.F, x, k * Lanes.L);
        out.add("Lanes.sum " + perCall(() -> Lanes.sum(v[0], v[1], v[2], v[3])));
        return out;
    }

    private interface Kernel {
        float run();
    }

    private static long perCall(Kernel k) {
        for (int i = 0; i < WARM; i++) sink += k.run();
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < MEASURED; i++) sink += k.run();
        return (THREADS.getCurrentThreadAllocatedBytes() - before) / MEASURED;
    }
}
