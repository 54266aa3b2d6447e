package dev.veil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pool's size is settable once, before the pool exists (the CLI's --threads; its test runs a fresh JVM). */
class ParallelTest {
    @Test
    void refusesBelowOneAndAChangeOnceThePoolRuns() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.configure(0));
        int threads = Parallel.threads();  // the pool exists from here on
        Parallel.configure(threads);        // the size it has: allowed
        var e = assertThrows(IllegalStateException.class, () -> Parallel.configure(threads + 1));
        assertEquals("the engine's thread pool already runs " + threads + " threads; cannot change it to " + (threads + 1),
                e.getMessage());
        assertEquals(threads, Parallel.threads());
    }

    @Test
    void aSecondDifferentSizeIsRefusedBeforeThePoolRunsToo() throws Exception {
        // A fresh copy of the class (its own statics, no pool yet): this JVM's pool may already run.
        var classes = new URLClassLoader(new URL[] {Parallel.class.getProtectionDomain().getCodeSource().getLocation()}, null);
        try (classes) {
            Method configure = classes.loadClass(Parallel.class.getName()).getMethod("configure", int.class);
            configure.invoke(null, 2);
            configure.invoke(null, 2); // the same size again: allowed
            var e = assertThrows(InvocationTargetException.class, () -> configure.invoke(null, 3));
            assertEquals("the engine's thread pool is already configured for 2 threads; cannot change it to 3",
                    e.getCause().getMessage());
            assertEquals(IllegalStateException.class, e.getCause().getClass());
        }
    }

    @Test
    void forEachVisitsEveryIndexOnce() {
        var seen = new AtomicIntegerArray(1000);
        Parallel.forEach(1000, seen::incrementAndGet);
        for (int i = 0; i < 1000; i++) assertEquals(1, seen.get(i), "index " + i);
        var coarse = new AtomicIntegerArray(1000);  // one chunk per index
        Parallel.forEachCoarse(1000, coarse::incrementAndGet);
        for (int i = 0; i < 1000; i++) assertEquals(1, coarse.get(i), "index " + i + " (coarse)");
    }

    @Test
    void aFailingBodyFailsItsCallerAndTheWorkersServeTheNext() {
        var e = assertThrows(IllegalStateException.class, () -> Parallel.forEach(1000, i -> {
            if (i == 777) throw new IllegalStateException("index 777");
        }));
        assertEquals("index 777", e.getMessage());
        forEachVisitsEveryIndexOnce();
    }

    /** Sessions decode at once: every call sees each of its indices once, whether it got the workers or ran alone. */
    @Test
    void concurrentAndNestedCallsEachVisitEveryIndexOnce() throws Exception {
        var callers = Executors.newFixedThreadPool(4);
        try {
            var results = new ArrayList<Future<?>>();
            for (int t = 0; t < 4; t++) {
                results.add(callers.submit(() -> {
                    for (int round = 0; round < 300; round++) {
                        int n = 1 + round % 97;
                        var seen = new AtomicIntegerArray(n * 3);
                        Parallel.forEach(n, i -> Parallel.forEach(3, k -> seen.incrementAndGet(i * 3 + k)));
                        for (int i = 0; i < n * 3; i++) assertEquals(1, seen.get(i), "round " + round + ", index " + i);
                    }
                    return null;
                }));
            }
            for (var r : results) r.get(60, TimeUnit.SECONDS);
        } finally {
            callers.shutdownNow();
        }
    }

    /** What the caller reads after forEach returns includes every write its bodies made (the decode's outputs). */
    @Test
    void writesOfTheBodiesAreVisibleToTheCaller() {
        for (int round = 0; round < 2000; round++) {
            long[] out = new long[64];
            long stamp = round + 1;
            Parallel.forEach(out.length, i -> out[i] = stamp * (i + 1));
            var sum = new AtomicLong();
            for (int i = 0; i < out.length; i++) sum.addAndGet(out[i] - stamp * (i + 1));
            assertEquals(0, sum.get(), "round " + round);
        }
    }

    /**
     * Calls follow each other within microseconds and reuse the workers' state: a worker that arrives late must never
     * run an index of a call that has returned, nor one twice. Each call's array must hold exactly one visit per index,
     * and still so after the next call has run.
     */
    @Test
    void aLateWorkerNeverRunsAFinishedCall() {
        AtomicIntegerArray previous = null;
        for (int round = 0; round < 20_000; round++) {
            int n = 2 + round % 7;
            var seen = new AtomicIntegerArray(n);
            Parallel.forEach(n, seen::incrementAndGet);
            for (var a : previous == null ? new AtomicIntegerArray[] {seen} : new AtomicIntegerArray[] {previous, seen}) {
                for (int i = 0; i < a.length(); i++) assertEquals(1, a.get(i), "round " + round + ", index " + i);
            }
            previous = seen;
        }
    }
}
