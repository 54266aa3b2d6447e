package dev.veil.attack;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;

/**
 * CMIF leaves the final hidden states on the server: it returns them, and the trusted node applies only the
 * final norm and the LM head, which are public. The server applies them itself: the greedy choice after
 * position i is the token at position i + 1. That is the answer exactly (greedy decoding) and, for the prompt,
 * the model's guess of each next word given the sanitized prefix.
 */
public final class HiddenStateAttack implements Attack {
    private final Forward head;
    private final int dim, bos;

    public HiddenStateAttack(Model model) {
        this.head = new Forward(model.config(), model.node(), new LocalLinearOps(model.config(), model.linear()));
        this.dim = model.config().dim();
        this.bos = model.tokenizer().bos();
    }

    @Override
    public String name() {
        return "hidden-state";
    }

    @Override
    public int[] guess(Observation o) {
        int[] next = nextTokens(o);
        int[] g = new int[next.length];
        g[0] = bos;
        System.arraycopy(next, 0, g, 1, next.length - 1);
        return g;
    }

    @Override
    public int next(Observation o) {
        int[] next = nextTokens(o);
        return next[next.length - 1];
    }

    /** The greedy token after each position. */
    private int[] nextTokens(Observation o) {
        float[] hidden = Exchange.values(o.returnedRows(Site.DECODER_STACK, 0));
        int n = hidden.length / dim;
        float[] logits = head.head(hidden, n, true);
        int vocab = logits.length / n;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = Sampler.greedy().sample(logits, i * vocab, vocab);
        return out;
    }
}
