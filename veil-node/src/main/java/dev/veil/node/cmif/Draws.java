package dev.veil.node.cmif;

/** Where a sanitizer's randomness for each position of a prompt comes from. */
@FunctionalInterface
public interface Draws {
    /** The generator position {@code i} of {@code ids} draws from (positions may share one). */
    ExactRandom at(int[] ids, int i);

    /** Fresh randomness for every request: one generator for every position. */
    static Draws fresh(ExactRandom random) {
        return (ids, i) -> random;
    }
}
