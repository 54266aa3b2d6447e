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

    /** A fraction of d_in when {@code m} is below 1, else a whole rank. */
    public static MaskSize of(double m) {
        if (m > 0 && m < 1) return fraction(m);
        if (m >= 1 && m == Math.rint(m) && m <= Integer.MAX_VALUE) return rows((int) m);
        throw new IllegalArgumentException("m must be a fraction of d_in in (0, 1) or a whole rank, got " + m);
    }

    /** Parses m as every command takes it: a fraction of d_in ("1/8", "0.125") or a whole rank ("8"). */
    public static MaskSize parse(String s) {
        try {
            int slash = s.indexOf('/');
            double v = slash < 0 ? Double.parseDouble(s) : Double.parseDouble(s.substring(0, slash)) / Double.parseDouble(s.substring(slash + 1));
            if (v > 0 && v < 1) return fraction(v);
            if (v >= 1 && v == Math.rint(v) && v <= Integer.MAX_VALUE) return rows((int) v);
        } catch (NumberFormatException e) {
            // the message below says what is accepted
        }
        throw new IllegalArgumentException("--m must be a fraction of d_in in (0, 1), like 1/8 or 0.125, or a whole rank like 8; got '" + s + "'");
    }

    /** m for a matrix with d_in inputs: at least 1 and below d_in (the server refuses m >= d_in). */
    public int forInputs(int dIn) {
        int m = absolute > 0 ? absolute : (int) Math.round(fraction * dIn);
        return Math.max(1, Math.min(dIn - 1, m));
    }

    @Override
    public String toString() {
        if (absolute > 0) return "m = " + absolute;
        double inverse = 1 / fraction;
        return inverse == Math.rint(inverse) ? "m = d_in/" + (long) inverse : "m = " + fraction + "·d_in";
    }
}
