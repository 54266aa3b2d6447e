package dev.veil.attack;

/**
 * ReMO's public base Mpub of one weight matrix (m × dIn, row-major), which the trusted node sends the weights
 * server at setup. Every mask the node ever adds to this matrix's inputs lies in its row space.
 */
public record PublicBase(int m, int dIn, float[] values) {
    public PublicBase {
        if (m <= 0 || dIn <= 0 || values.length != m * dIn) {
            throw new IllegalArgumentException("public base of " + values.length + " values is not " + m + " x " + dIn);
        }
    }
}
