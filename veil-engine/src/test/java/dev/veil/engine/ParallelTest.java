package dev.veil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The pool's size is settable only before the pool exists (the CLI's --threads; its test runs a fresh JVM). */
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
    void forEachVisitsEveryIndexOnce() {
        var seen = new AtomicIntegerArray(1000);
        Parallel.forEach(1000, seen::incrementAndGet);
        for (int i = 0; i < 1000; i++) assertEquals(1, seen.get(i), "index " + i);
    }
}
