package dev.veil.engine;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition instead of sleeping a guessed time: polls it until it holds. The overall limit only bounds
 * a hang (a test that waits that long has failed), so it is generous; a condition that holds sooner ends the wait at
 * once. Shared with the other modules' tests through the test-jar.
 */
public final class Eventually {
    /** How long a condition may take before the test fails: long enough for any loaded machine. */
    public static final Duration LIMIT = Duration.ofSeconds(60);

    private Eventually() {}

    /** Returns as soon as {@code condition} holds; fails with {@code what} if it does not within {@link #LIMIT}. */
    public static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("still not true after " + LIMIT.toSeconds() + " s: " + what);
            try {
                Thread.sleep(5); // the polling interval, not a guess at how long anything takes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting until " + what, e);
            }
        }
    }
}
