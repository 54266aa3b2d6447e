package dev.veil.engine;

import java.util.function.IntConsumer;

/**
 * The engine's own threads, so kernels never compete with the common pool (which servers and tests use). Size:
 * {@link #configure} before first use (the CLI's {@code --threads}), else the system property {@code veil.threads},
 * else the number of processors. The workers live in a holder class, made on first use: its size and workers are
 * static finals there, so the kernels' hot path reads constants.
 */
public final class Parallel {
    private static final Object LOCK = new Object();
    private static int requested;  // 0: not configured
    private static boolean created;

    private Parallel() {}

    /** The workers, made when a kernel (or {@link #threads}) first needs them. */
    private static final class Pool {
        static final int THREADS = size();
        static final Workers WORKERS = THREADS > 1 ? new Workers(THREADS - 1) : null;

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
     * Sets the number of threads, once per process: one pool serves every session, so a second, different size is a
     * caller's mistake, refused rather than silently dropped (asking again for the same number is allowed).
     *
     * @throws IllegalArgumentException if {@code threads} is below 1
     * @throws IllegalStateException if another number was configured, or the workers already run with another number
     */
    public static void configure(int threads) {
        if (threads < 1) throw new IllegalArgumentException("the thread count must be at least 1, got " + threads);
        synchronized (LOCK) {
            if (!created) {
                if (requested > 0 && requested != threads) {
                    throw new IllegalStateException("the engine's thread pool is already configured for " + requested
                            + " threads; cannot change it to " + threads);
                }
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

    /**
     * Runs body(i) for i in [0, n): the caller and the workers take chunks of about n / (4 · threads) indices. While
     * the workers serve another caller (another session, or a body that itself calls forEach), this caller runs its
     * indices itself, so no call ever waits for another.
     */
    public static void forEach(int n, IntConsumer body) {
        forEach(n, body, false);
    }

    /**
     * {@link #forEach} for bodies of tens of microseconds or more (a GEMM panel, a row of prefill attention): each
     * index is its own chunk, so a call ends at most one index after its first thread runs out of work. With 4 chunks
     * per thread, a thread waited half a chunk on average at the end of every call: 6–10% of a prefill spent
     * spinning at 2 threads.
     */
    public static void forEachCoarse(int n, IntConsumer body) {
        forEach(n, body, true);
    }

    private static void forEach(int n, IntConsumer body, boolean coarse) {
        if (n <= 0) return;
        if (n == 1 || Pool.THREADS == 1 || !Pool.WORKERS.run(n, body, coarse)) {
            for (int i = 0; i < n; i++) body.accept(i);
        }
    }
}
