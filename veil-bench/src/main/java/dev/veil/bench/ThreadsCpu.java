package dev.veil.bench;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** What the node benches share: the CPU time of this process's threads, and medians of samples. */
public final class ThreadsCpu {
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ThreadsCpu() {}

    /**
     * CPU time of this process's threads so far (the process counter ticks in 10 ms, too coarse for a token). The
     * JVM's own JIT and GC threads are not among them; every thread the node works on lives through the bench.
     */
    public static long nanos() {
        long sum = 0;
        for (long t : THREADS.getThreadCpuTime(THREADS.getAllThreadIds())) sum += Math.max(0, t);
        return sum;
    }

    /** The median of {@code f} over {@code samples} (the upper one of an even count). */
    public static <T> double median(List<T> samples, ToDoubleFunction<T> f) {
        double[] v = samples.stream().mapToDouble(f).sorted().toArray();
        return v[v.length / 2];
    }
}
