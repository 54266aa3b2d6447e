package dev.veil.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads behind {@link Parallel#forEach}: one job at a time, shared out in chunks by an atomic counter; the
 * caller takes chunks too and spins until the last one is done. Between jobs a worker spins for {@link #SPIN_NANOS}
 * before it parks: decode makes about 80 calls per token with microseconds between them, and waking a parked thread
 * costs tens of microseconds (with fork/join tasks two threads decoded only 1.35x faster than one).
 */
final class Workers {
    private static final long SPIN_NANOS = 200_000;

    /** One call's work. A worker that arrives late finds its counter past the end, whatever job runs by then. */
    private static final class Job {
        final IntConsumer body;
        final int n, chunks;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable failure;

        Job(IntConsumer body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
                try {
                    for (int i = from; i < to; i++) body.accept(i);
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final Thread[] threads;
    private final AtomicIntegerArray parked;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job current;

    Workers(int count) {
        threads = new Thread[count];
        parked = new AtomicIntegerArray(count);
        for (int i = 0; i < count; i++) {
            int index = i;
            threads[i] = new Thread(() -> loop(index), "veil-kernel-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /** Runs the job with the workers; false (having run nothing) when they are serving another caller. */
    boolean run(int n, IntConsumer body) {
        if (!busy.compareAndSet(false, true)) return false;
        try {
            var job = new Job(body, n, Math.min(n, 4 * (threads.length + 1)));
            current = job;
            for (int i = 0; i < threads.length; i++) {
                if (parked.get(i) != 0) LockSupport.unpark(threads[i]);
            }
            job.work();
            while (job.done.get() < job.chunks) Thread.onSpinWait();
            current = null;
            Throwable t = job.failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
            return true;
        } finally {
            busy.set(false);
        }
    }

    private void loop(int index) {
        Job seen = null;
        while (true) {
            long since = System.nanoTime();
            Job job;
            for (int spins = 0; (job = current) == null || job == seen; spins++) {
                if ((spins & 63) != 0 || System.nanoTime() - since < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked.set(index, 1);
                if ((job = current) == null || job == seen) LockSupport.park(this);
                parked.set(index, 0);
                since = System.nanoTime();
            }
            seen = job;
            job.work();
        }
    }
}
