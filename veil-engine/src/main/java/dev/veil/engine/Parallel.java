package dev.veil.engine;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The engine's own thread pool, so kernels never compete with the common pool (which servers and tests use).
 * Size: {@link #configure} before first use (the CLI's {@code --threads}), else the system property
 * {@code veil.threads}, else the number of processors. The pool lives in a holder class, made on first use: its
 * size and pool are static finals there, so the kernels' hot path reads constants, as it did before.
 */
public final class Parallel {
    private static final Object LOCK = new Object();
    private static int requested;  // 0: not configured
    private static boolean created;

    private Parallel() {}

    /** The pool, made when a kernel (or {@link #threads}) first needs it. */
    private static final class Pool {
        static final int THREADS = size();
        static final ForkJoinPool POOL = new ForkJoinPool(THREADS, pool -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setName("veil-kernel-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);

        private static int size() {
            synchronized (LOCK) {
                created = true;
                int n = requested > 0 ? requested : Integer.getInteger("veil.threads", Runtime.getRuntime().availableProcessors());
                if (n < 1) throw new IllegalArgumentException("veil.threads must be at least 1, got " + n);
                return n;
            }
        }
    }

    /**
     * Sets the pool's size; only before the pool exists (asking for the size it already has is allowed).
     *
     * @throws IllegalArgumentException if {@code threads} is below 1
     * @throws IllegalStateException if the pool already runs with another size
     */
    public static void configure(int threads) {
        if (threads < 1) throw new IllegalArgumentException("the thread count must be at least 1, got " + threads);
        synchronized (LOCK) {
            if (!created) {
                requested = threads;
                return;
            }
        }
        if (Pool.THREADS != threads) {
            throw new IllegalStateException("the engine's thread pool already runs " + Pool.THREADS + " threads; cannot change it to "
                    + threads);
        }
    }

    public static int threads() {
        return Pool.THREADS;
    }

    /** Runs body(i) for i in [0, n), split into about 4 chunks per thread; runs inline when n is 1. */
    public static void forEach(int n, IntConsumer body) {
        if (n <= 0) return;
        if (n == 1 || Pool.THREADS == 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        int chunks = Math.min(n, Pool.THREADS * 4);
        Pool.POOL.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
            for (int i = from; i < to; i++) body.accept(i);
        })).join();
    }
}
