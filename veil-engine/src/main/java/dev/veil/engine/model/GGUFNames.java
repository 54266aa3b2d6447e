package dev.veil.engine.model;

/** Tensor and metadata names of Llama-family GGUF files, as llama.cpp writes them. */
public final class GGUFNames {
    private GGUFNames() {}

    public static final String ARCHITECTURE = "general.architecture";
    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String OUTPUT_NORM = "output_norm.weight";
    public static final String OUTPUT = "output.weight";
    public static final String ROPE_FREQS = "rope_freqs.weight";

    public static final String ATTN_NORM = "attn_norm.weight";
    public static final String ATTN_Q = "attn_q.weight";
    public static final String ATTN_K = "attn_k.weight";
    public static final String ATTN_V = "attn_v.weight";
    public static final String ATTN_OUTPUT = "attn_output.weight";
    public static final String ATTN_Q_BIAS = "attn_q.bias";
    public static final String ATTN_K_BIAS = "attn_k.bias";
    public static final String ATTN_V_BIAS = "attn_v.bias";
    public static final String ATTN_Q_NORM = "attn_q_norm.weight";
    public static final String ATTN_K_NORM = "attn_k_norm.weight";
    public static final String FFN_NORM = "ffn_norm.weight";
    public static final String FFN_GATE = "ffn_gate.weight";
    public static final String FFN_UP = "ffn_up.weight";
    public static final String FFN_DOWN = "ffn_down.weight";

    /** Name of a per-layer tensor, e.g. {@code blk.3.attn_q.weight}. */
    public static String blk(int layer, String name) {
        return "blk." + layer + "." + name;
    }
}
