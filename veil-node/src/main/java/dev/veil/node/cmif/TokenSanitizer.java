package dev.veil.node.cmif;

/**
 * The per-token loop the three mechanisms share: each editable candidate token that is sensitive, or picked with
 * probability p otherwise, goes through the mechanism ({@link #choose}) and spends ε. With no sensitive set
 * (CusText+) every candidate goes through it. Off (ε = ∞), candidates are marked but kept.
 */
abstract class TokenSanitizer implements Sanitizer {
    private final String name;
    final EmbeddingSpace space;
    final SensitiveSet sensitive;   // null: every candidate is sanitized
    final SanitizerParams params;

    TokenSanitizer(String name, EmbeddingSpace space, SensitiveSet sensitive, SanitizerParams params) {
        this.name = name;
        this.space = space;
        this.sensitive = sensitive;
        this.params = params;
    }

    @Override public final String name() { return name; }

    @Override public final double epsilon() { return params.epsilon(); }

    /** Whether id x (in the space) may be sanitized at all. */
    boolean candidate(int x) { return space.eligible(x); }

    /** The mechanism: a random replacement for candidate x. */
    abstract int choose(int x, ExactRandom random);

    /** Between which pairs of tokens ε holds. */
    abstract Guarantee.Scope scope();

    @Override
    public final Sanitized sanitize(int[] ids, boolean[] editable, Draws draws) {
        if (editable.length != ids.length) throw new IllegalArgumentException("one editable flag per token");
        int[] out = ids.clone();
        boolean[] mechanized = new boolean[ids.length];
        int count = 0, verbatim = 0;
        for (int i = 0; i < ids.length; i++) {
            int x = ids[i];
            ExactRandom random = null;
            if (!editable[i] || x < 0 || x >= space.size()) continue;
            if (!candidate(x)) {
                verbatim++;
            } else if (params.off()) {
                mechanized[i] = true;
                count++;
            } else if (sensitive == null || sensitive.contains(x) || (random = draws.at(ids, i)).bernoulli(params.p())) {
                mechanized[i] = true;
                count++;
                out[i] = choose(x, random != null ? random : draws.at(ids, i)); // the selection and the choice: one stream
            } else {
                verbatim++; // non-sensitive and not selected: sent as it is, outside the guarantee
            }
        }
        return new Sanitized(out, mechanized, Guarantee.of(name, params.epsilon(), count, verbatim, scope()));
    }
}
