package dev.veil.node.cmif;

/**
 * A differentially private text sanitizer over the ids of an {@link EmbeddingSpace}: CMIF's
 * {@link ReportNoisyMax}, the {@link SanTextPlus} and {@link CusTextPlus} baselines, and the
 * {@link VocabularyExponentialMechanism}, whose ε holds between every pair of tokens. Implementations are
 * immutable and thread-safe; the randomness comes from the caller: fresh ({@link ExactRandom}, one per thread) or
 * consistent per tenant and context ({@link ConsistentDraws}).
 */
public interface Sanitizer {
    /** Short name: rnm, santext+, custext+, em. */
    String name();

    /** ε spent by each token that goes through the mechanism; infinite means the sanitizer is off. */
    double epsilon();

    /**
     * Sanitizes {@code ids}. Positions where {@code editable} is false (template and instruction tokens) are
     * copied unchanged and spend nothing; so are ids outside the space (negative).
     */
    Sanitized sanitize(int[] ids, boolean[] editable, Draws draws);

    /** As {@link #sanitize(int[], boolean[], Draws)} with fresh randomness from {@code random}. */
    default Sanitized sanitize(int[] ids, boolean[] editable, ExactRandom random) {
        return sanitize(ids, editable, Draws.fresh(random));
    }

    /** Sanitizes every position. */
    default Sanitized sanitize(int[] ids, ExactRandom random) {
        return sanitize(ids, Draws.fresh(random));
    }

    /** Sanitizes every position, drawing from {@code draws}. */
    default Sanitized sanitize(int[] ids, Draws draws) {
        boolean[] all = new boolean[ids.length];
        java.util.Arrays.fill(all, true);
        return sanitize(ids, all, draws);
    }
}
