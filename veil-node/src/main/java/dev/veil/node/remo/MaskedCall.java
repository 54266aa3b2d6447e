package dev.veil.node.remo;

import dev.veil.protocol.Rows;

/** One outsourced call in progress: the masked rows to send, and the private mask to restore the reply with. */
public interface MaskedCall {
    /** Ê = E + Mpvt·Mpub: what the weights server may see. */
    Rows masked();

    /** Writes O = Ô − Mpvt·Rpub (= E·Wᵀ) into out[outOffset...], n × d_out. */
    void restore(Rows output, float[] out, int outOffset);
}
