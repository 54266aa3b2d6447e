package dev.veil.attack;

import dev.veil.engine.inference.Projection;

/**
 * Where in the computation a tensor crossed to the weights server: one of the linear projections (Talaria),
 * or the whole decoder stack (CMIF: the server receives input embeddings and returns final hidden states).
 */
public enum Site {
    QKV, ATTN_OUT, GATE_UP, FFN_DOWN, LM_HEAD, DECODER_STACK;

    public static Site of(Projection p) {
        return valueOf(p.name());
    }

    /** The engine's projection at this site; DECODER_STACK has none. */
    public Projection projection() {
        if (this == DECODER_STACK) throw new IllegalStateException("the decoder stack is not one projection");
        return Projection.valueOf(name());
    }

    /** Parses "qkv", "attn-out", "gate-up", "ffn-down", "lm-head", "decoder-stack". */
    public static Site parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown site '" + s + "' (qkv, attn-out, gate-up, ffn-down, lm-head, decoder-stack)");
        }
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
