package dev.veil.node.otp;

import dev.veil.node.MaskRandom;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The background threads that keep every {@link PadPool} full (and redraw Freivalds secrets). Each matrix
 * has its own producer job; jobs queue up round-robin on a few shared threads, each with its own DRBG. A job
 * runs single-threaded, so the producers never take more cores than they have threads, and their CPU time is
 * measured exactly.
 */
final class PadProducer implements AutoCloseable {
    /** One step of background work; returns true when the job wants to run again (round-robin). */
    interface Job {
        boolean step(MaskRandom random);

        /** Where the job's CPU time is counted. */
        java.util.concurrent.atomic.LongAdder cpu();
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    PadProducer(int threadCount) {
        for (int i = 0; i < threadCount; i++) threads.add(Thread.ofPlatform().daemon().name("veil-pad-producer-" + i).start(this::run));
    }

    /** Whether there are threads to run jobs (with none, pads are made when they are needed). */
    boolean running() {
        return !threads.isEmpty() && !closed;
    }

    void submit(Job job) {
        if (running()) queue.add(job);
    }

    private void run() {
        var random = new MaskRandom();
        try {
            while (!closed) {
                Job job = queue.take();
                running.incrementAndGet();
                try {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    boolean again = job.step(random);
                    job.cpu().add(THREADS.getCurrentThreadCpuTime() - c0);
                    if (again) queue.add(job);
                } finally {
                    running.decrementAndGet();
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** Whether a job is queued or running. */
    boolean busy() {
        return !queue.isEmpty() || running.get() > 0;
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) t.interrupt();
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        queue.clear();
    }
}
