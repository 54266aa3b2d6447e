package dev.veil.bench;

import dev.veil.engine.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's memory read bandwidth as the engine's kernels see it: a vectorized sum, on the engine's pool,
 * over an off-heap buffer far larger than the caches (like the mapped weights that decode streams).
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static volatile float sink;

    private MemoryBandwidth() {}

    /** Best of {@code passes} timed passes over {@code bytes} bytes, in bytes per second. */
    public static double measure(long bytes, int passes) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(bytes, 4096);
            buffer.fill((byte) 1);  // fault every page in before timing
            int chunks = Parallel.threads() * 16;
            long chunk = bytes / chunks / F.vectorByteSize() / 4 * F.vectorByteSize() * 4;
            float[] sums = new float[chunks];
            double best = 0;
            for (int p = 0; p <= passes; p++) {
                long t0 = System.nanoTime();
                Parallel.forEach(chunks, c -> sums[c] = sum(buffer, c * chunk, (c + 1) * chunk));
                double s = (System.nanoTime() - t0) / 1e9;
                if (p > 0) best = Math.max(best, chunk * chunks / s);  // pass 0 warms up the JIT
            }
            for (float v : sums) sink += v;  // keeps the sums live
            return best;
        }
    }

    private static float sum(MemorySegment m, long from, long to) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        long step = F.vectorByteSize();
        for (long o = from; o < to; o += 4 * step) {
            a = a.add(FloatVector.fromMemorySegment(F, m, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, m, o + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, m, o + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, m, o + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }
}
