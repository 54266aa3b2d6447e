package dev.veil.node.cmif;

/**
 * A sanitized sequence and its privacy spend.
 *
 * @param ids              the output ids
 * @param mechanized       positions that went through the mechanism (whatever it output); each spent ε
 * @param epsilonPerToken  ε of one mechanism run (infinite when the sanitizer is off)
 */
public record Sanitized(int[] ids, boolean[] mechanized, double epsilonPerToken) {
    /** Positions that went through the mechanism. */
    public int mechanizedCount() {
        int n = 0;
        for (boolean b : mechanized) if (b) n++;
        return n;
    }

    /** Positions whose id differs from the input's. */
    public int changedCount(int[] input) {
        int n = 0;
        for (int i = 0; i < ids.length; i++) if (ids[i] != input[i]) n++;
        return n;
    }

    /** The request's total ε: the sum over mechanized tokens (sequential composition). */
    public double totalEpsilon() {
        int n = mechanizedCount();
        return n == 0 ? 0 : n * epsilonPerToken;
    }

    /** "privacy spend: 3 tokens × ε 1.0 = 3.0". */
    public String spendLine() {
        return String.format(java.util.Locale.ROOT, "privacy spend: %d token%s × ε %s = %s", mechanizedCount(),
                mechanizedCount() == 1 ? "" : "s", format(epsilonPerToken), format(totalEpsilon()));
    }

    private static String format(double e) {
        return Double.isInfinite(e) ? "∞" : Double.toString(e);
    }
}
