package dev.veil.node.remo;

/** The rank m of the public bases: an absolute count, or a fraction of each matrix's input width d_in. */
public record MaskSize(int absolute, double fraction) {
    public MaskSize {
        if (absolute < 0 || (absolute == 0 && !(fraction > 0 && fraction < 1))) {
            throw new IllegalArgumentException("mask size needs m >= 1 or a fraction of d_in strictly between 0 and 1");
        }
    }

    public static MaskSize rows(int m) {
        if (m < 1) throw new IllegalArgumentException("m must be at least 1, got " + m);
        return new MaskSize(m, 0);
    }

    public static MaskSize fraction(double f) {
        return new MaskSize(0, f);
    }

    /** m for a matrix with d_in inputs: at least 1 and below d_in (the server refuses m >= d_in). */
    public int forInputs(int dIn) {
        int m = absolute > 0 ? absolute : (int) Math.round(fraction * dIn);
        return Math.max(1, Math.min(dIn - 1, m));
    }

    @Override
    public String toString() {
        return absolute > 0 ? "m=" + absolute : "m=" + fraction + "·d_in";
    }
}
