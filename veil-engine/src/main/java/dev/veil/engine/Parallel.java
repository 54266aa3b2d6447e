package dev.veil.engine;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The engine's own thread pool, so kernels never compete with the common pool (which servers and tests use).
 * Size: system property {@code veil.threads}, else the number of processors.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("veil.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = new ForkJoinPool(THREADS, pool -> {
        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("veil-kernel-" + t.getPoolIndex());
        t.setDaemon(true);
        return t;
    }, null, false);

    private Parallel() {}

    public static int threads() {
        return THREADS;
    }

    /** Runs body(i) for i in [0, n), split into about 4 chunks per thread; runs inline when n is 1. */
    public static void forEach(int n, IntConsumer body) {
        if (n <= 0) return;
        if (n == 1 || THREADS == 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        int chunks = Math.min(n, THREADS * 4);
        POOL.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
            for (int i = from; i < to; i++) body.accept(i);
        })).join();
    }
}
