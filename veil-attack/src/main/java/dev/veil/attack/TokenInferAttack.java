package dev.veil.attack;

import java.util.List;

/**
 * TokenInfer, the learned attack: an MLP classifier from the vector the server received at one site to the token
 * at that position, trained on pairs the attacker made itself by running the model and the scheme (with its own
 * random masks) on public text that is disjoint from the victim's, then applied to the victim's transcript.
 */
public final class TokenInferAttack implements Attack {
    private final String name;
    private final Site site;
    private final int layer;
    private final View view;
    private final Mlp mlp;

    private TokenInferAttack(String name, Site site, int layer, View view, Mlp mlp) {
        this.name = name;
        this.site = site;
        this.layer = layer;
        this.view = view;
        this.mlp = mlp;
    }

    /** Trains on the attacker's own runs, reading each at (site, layer) in {@code view}. */
    public static TokenInferAttack train(List<LabelledObservation> runs, Site site, int layer, View view, int vocab, Mlp.Options options) {
        if (runs.isEmpty()) throw new IllegalArgumentException("TokenInfer needs training runs");
        int count = 0;
        for (var r : runs) count += r.tokens().length;
        var first = runs.getFirst().observation();
        int width = view.observed(first, site, layer).length / first.positions(site, layer);
        float[] x = new float[count * width];
        int[] y = new int[count];
        int at = 0;
        for (var r : runs) {
            float[] rows = view.observed(r.observation(), site, layer);
            if (rows.length != r.tokens().length * width) {
                throw new IllegalArgumentException("a training run has " + rows.length / width + " rows at " + site.label() + " but " + r.tokens().length + " tokens");
            }
            System.arraycopy(rows, 0, x, at * width, rows.length);
            System.arraycopy(r.tokens(), 0, y, at, r.tokens().length);
            at += r.tokens().length;
        }
        String base = view == View.NULL_SPACE ? "null-space-token-infer" : "token-infer";
        String name = site == Site.QKV && layer == 0 ? base : base + "@" + site.label() + (site == Site.DECODER_STACK ? "" : layer);
        return new TokenInferAttack(name, site, layer, view, Mlp.train(x, y, width, vocab, options));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int[] guess(Observation o) {
        float[] rows = view.observed(o, site, layer);
        return mlp.predict(rows, rows.length / mlp.inputs());
    }
}
