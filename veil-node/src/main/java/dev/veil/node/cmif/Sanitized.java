package dev.veil.node.cmif;

/**
 * A sanitized sequence and what it spent.
 *
 * @param ids        the output ids
 * @param mechanized positions that went through the mechanism (whatever it output); each spent ε
 * @param guarantee  the spend and what it covers
 */
public record Sanitized(int[] ids, boolean[] mechanized, Guarantee guarantee) {
    /** ε of one mechanism run (infinite when the sanitizer is off). */
    public double epsilonPerToken() {
        return guarantee.epsilonPerToken();
    }

    /** Positions that went through the mechanism. */
    public int mechanizedCount() {
        return guarantee.mechanizedTokens();
    }

    /** Positions whose id differs from the input's. */
    public int changedCount(int[] input) {
        int n = 0;
        for (int i = 0; i < ids.length; i++) if (ids[i] != input[i]) n++;
        return n;
    }

    /** The request's total ε: the sum over mechanized tokens (sequential composition). */
    public double totalEpsilon() {
        return guarantee.totalEpsilon();
    }

    /** The report line: the spend and what it covers ({@link Guarantee#line()}). */
    public String spendLine() {
        return guarantee.line();
    }
}
