package dev.veil.node.cmif;

/**
 * A differentially private text sanitizer over the ids of an {@link EmbeddingSpace}: CMIF's
 * {@link ReportNoisyMax}, the {@link SanTextPlus} and {@link CusTextPlus} baselines, and the
 * {@link VocabularyExponentialMechanism}, whose ε holds between every pair of tokens. Implementations are
 * immutable and thread-safe; the randomness comes from the caller, one {@link ExactRandom} per thread.
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
    Sanitized sanitize(int[] ids, boolean[] editable, ExactRandom random);

    /** Sanitizes every position. */
    default Sanitized sanitize(int[] ids, ExactRandom random) {
        boolean[] all = new boolean[ids.length];
        java.util.Arrays.fill(all, true);
        return sanitize(ids, all, random);
    }
}
