package dev.veil.node.cmif;

/**
 * Settings of the sanitizers (each reads the ones it uses).
 *
 * @param epsilon        ε per sanitized token; {@code Double.POSITIVE_INFINITY} turns sanitization off
 * @param k              candidates per token: RNM's nearest tokens, CusText+'s output-set size
 * @param p              probability that a non-sensitive token is sanitized (RNM, SanText+)
 * @param delta          sensitivity Δ of the normalized scores (RNM): at least 1, since the scores span [0, 1]; a
 *                       smaller Δ would shrink the noise below what ε needs while ε is reported unchanged
 * @param sensitiveShare the least frequent share of the vocabulary that is always sanitized (RNM, SanText+)
 */
public record SanitizerParams(double epsilon, int k, double p, double delta, double sensitiveShare) {
    public SanitizerParams {
        if (!(epsilon > 0)) throw new IllegalArgumentException("ε must be positive (or infinite), got " + epsilon);
        if (k < 2) throw new IllegalArgumentException("K must be at least 2, got " + k);
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("p must be in [0, 1], got " + p);
        if (!(delta >= 1) || Double.isInfinite(delta)) {
            throw new IllegalArgumentException("Δ must be at least 1 (RNM's scores span [0, 1], so 1 is their sensitivity; a smaller Δ "
                    + "removes noise that ε needs), got " + delta);
        }
        if (!(sensitiveShare >= 0 && sensitiveShare <= 1)) {
            throw new IllegalArgumentException("sensitive share must be in [0, 1], got " + sensitiveShare);
        }
    }

    /** Parses ε as every command takes it: a positive number, or inf (∞) for no sanitization. */
    public static double parseEpsilon(String s) {
        String t = s.strip().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("inf") || t.equals("infinity") || t.equals("∞")) return Double.POSITIVE_INFINITY;
        try {
            double e = Double.parseDouble(t);
            if (!(e > 0)) throw new IllegalArgumentException("ε must be positive, got " + s);
            return e;
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("not an ε value: '" + s + "' (a positive number or inf)");
        }
    }

    /** CMIF's settings (K 20, p 0.3, Δ 1, the least frequent 20% sensitive) at this ε. */
    public static SanitizerParams defaults(double epsilon) {
        return new SanitizerParams(epsilon, 20, 0.3, 1.0, 0.2);
    }

    public SanitizerParams withEpsilon(double e) {
        return new SanitizerParams(e, k, p, delta, sensitiveShare);
    }

    public boolean off() {
        return Double.isInfinite(epsilon);
    }

    /** ε as a rational num/2^20 rounded down (never spends more than asked); at least 2^-20. */
    long epsilonNumerator() {
        long num = (long) Math.floor(epsilon * EPSILON_DENOMINATOR);
        if (num < 1) throw new IllegalArgumentException("ε below 2^-20 is not supported, got " + epsilon);
        return num;
    }

    static final long EPSILON_DENOMINATOR = 1L << 20;
}
