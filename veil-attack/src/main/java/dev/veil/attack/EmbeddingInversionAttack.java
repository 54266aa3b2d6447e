package dev.veil.attack;

import dev.veil.engine.Parallel;

/**
 * CMIF's server receives the input embeddings themselves: each row is the embedding of a (sanitized) prompt
 * token or of a generated token, so the nearest row of the public embedding table names it. This recovers the
 * sanitized prompt and, since generated tokens are fed back unsanitized, the whole answer.
 */
public final class EmbeddingInversionAttack implements Attack {
    private final float[] vocabulary;
    private final int vocab, dim;

    public EmbeddingInversionAttack(ShadowDecoder shadow) {
        this.vocabulary = shadow.embedVocabulary();
        this.vocab = shadow.config().vocabSize();
        this.dim = shadow.config().dim();
    }

    @Override
    public String name() {
        return "nn-inversion";
    }

    @Override
    public int[] guess(Observation o) {
        float[] rows = o.received(Site.DECODER_STACK, 0);
        int[] g = new int[rows.length / dim];
        Parallel.forEach(g.length, i -> g[i] = VocabularyMatchingAttack.nearest(rows, i * dim, vocabulary, vocab, dim,
                VocabularyMatchingAttack.Distance.L2));
        return g;
    }
}
