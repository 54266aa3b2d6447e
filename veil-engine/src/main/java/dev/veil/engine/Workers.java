package dev.veil.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads behind {@link Parallel#forEach}: one call at a time, shared out in chunks; the caller takes chunks too
 * and spins until the last one is done. Between calls a worker spins for {@link #SPIN_NANOS} before it parks: decode
 * makes about 80 calls per token with microseconds between them, and waking a parked thread costs tens of
 * microseconds (with fork/join tasks two threads decoded only 1.35x faster than one).
 *
 * <p>A call allocates nothing: its state lives in this object and is rewritten by the next call. A thread claims a
 * chunk by a compare-and-set of {@link #ticket} (the call's chunk count and its next unclaimed chunk), and only then
 * reads the call's body: the caller cannot start another call before every claimed chunk is done, so what a claim
 * reads is always the call it claimed from, however late the thread arrives.
 */
final class Workers {
    private static final long SPIN_NANOS = 200_000;
    private static final int MAX_CHUNKS = 0xFFFF;

    private final Thread[] threads;
    private final AtomicIntegerArray parked;
    private final AtomicBoolean busy = new AtomicBoolean();
    /** chunks &lt;&lt; 16 | next unclaimed chunk, of the current (or last) call. */
    private final AtomicLong ticket = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    /** The current call, written before its ticket is published (so a successful claim sees them). */
    private IntConsumer body;
    private int n;
    private volatile Throwable failure;

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

    /**
     * Runs body(i) for i in [0, n) with the workers, in 4 chunks per thread, or one per index if coarse; false (having
     * run nothing) when they serve another caller.
     */
    boolean run(int n, IntConsumer body, boolean coarse) {
        if (!busy.compareAndSet(false, true)) return false;
        try {
            int chunks = Math.min(n, Math.min(MAX_CHUNKS, coarse ? n : 4 * (threads.length + 1)));
            this.body = body;
            this.n = n;
            failure = null;
            done.set(0);
            ticket.set((long) chunks << 16);
            for (int i = 0; i < threads.length; i++) {
                if (parked.get(i) != 0) LockSupport.unpark(threads[i]);
            }
            work();
            while (done.get() < chunks) Thread.onSpinWait();
            this.body = null;
            Throwable t = failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
            return true;
        } finally {
            busy.set(false);
        }
    }

    /** Runs chunks of the current call until none is left unclaimed. */
    private void work() {
        for (long t; (t = claim()) >= 0; ) {
            int chunk = (int) (t & MAX_CHUNKS), chunks = (int) (t >>> 16);
            IntConsumer body = this.body;
            int n = this.n;
            int from = (int) ((long) n * chunk / chunks), to = (int) ((long) n * (chunk + 1) / chunks);
            try {
                for (int i = from; i < to; i++) body.accept(i);
            } catch (Throwable e) {
                if (failure == null) failure = e;
            } finally {
                done.incrementAndGet();
            }
        }
    }

    /** The ticket a chunk was claimed under, or -1 when every chunk of the current call is claimed. */
    private long claim() {
        for (long t; available(t = ticket.get()); ) {
            if (ticket.compareAndSet(t, t + 1)) return t;
        }
        return -1;
    }

    private static boolean available(long t) {
        return (t & MAX_CHUNKS) < (t >>> 16);
    }

    private void loop(int index) {
        while (true) {
            long since = System.nanoTime();
            for (int spins = 0; !available(ticket.get()); spins++) {
                if ((spins & 63) != 0 || System.nanoTime() - since < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked.set(index, 1);
                if (!available(ticket.get())) LockSupport.park(this);
                parked.set(index, 0);
                since = System.nanoTime();
            }
            work();
        }
    }
}
