package dev.veil.attack;

/**
 * The adaptive attack on ReMO that the paper did not run. Every mask Mpvt·Mpub lies in rowspace(Mpub), which
 * the server received at setup; projecting each masked row onto the orthogonal complement removes the mask
 * exactly and leaves the input's d_in − m dimensional component. Vocabulary matching then runs there: every
 * candidate token is projected the same way and compared with the projected observation.
 * The learned attack in the same subspace is {@link TokenInferAttack} with {@link View#NULL_SPACE}.
 */
public final class NullSpaceProjectionAttack implements Attack {
    private final VocabularyMatchingAttack matching;

    public NullSpaceProjectionAttack(ShadowDecoder shadow, Site site, int layer) {
        this.matching = new VocabularyMatchingAttack(shadow, site, layer, VocabularyMatchingAttack.Distance.L2, View.NULL_SPACE);
    }

    @Override
    public String name() {
        return matching.name();
    }

    @Override
    public int[] guess(Observation o) {
        return matching.guess(o);
    }
}
