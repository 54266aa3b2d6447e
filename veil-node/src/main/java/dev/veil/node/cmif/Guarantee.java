package dev.veil.node.cmif;

import java.util.Locale;

/**
 * What one sanitized request's ε promises, for every place that reports it (the CLI's report line, the service's
 * response). ε is per token that went through the mechanism, and a request spends their sum (sequential
 * composition); what ε bounds depends on the mechanism ({@link Scope}), and tokens that passed verbatim are not
 * covered at all: their loss is unbounded.
 *
 * @param sanitizer        the mechanism's name (rnm, santext+, custext+, em)
 * @param epsilonPerToken  ε of one mechanism run (infinite when sanitization is off)
 * @param mechanizedTokens user tokens that went through the mechanism, each spending ε
 * @param verbatimTokens   user tokens sent as they are without going through it (not selected, stop words, ineligible)
 * @param totalEpsilon     the request's spend: mechanizedTokens × ε
 * @param scope            between which pairs of tokens ε holds
 * @param covers           the scope in words
 */
public record Guarantee(String sanitizer, double epsilonPerToken, int mechanizedTokens, int verbatimTokens, double totalEpsilon,
                        Scope scope, String covers) {
    /** Between which pairs of input tokens x, x′ a mechanism's ε bounds the ratio of output probabilities. */
    public enum Scope {
        /** RNM: x and x′ have the same candidate list; if x is not among x′'s candidates the loss is unbounded. */
        SHARED_CANDIDATES("ε holds only between tokens with the same candidate list; between others the loss is unbounded"),
        /** SanText+: metric DP, ε·d(x, x′) for embedding distance d. */
        METRIC("ε·d(x, x′) between tokens at embedding distance d (metric DP): no bound independent of the pair"),
        /** CusText+: x and x′ in the same output set. */
        SHARED_OUTPUT_SET("ε holds only between tokens of the same output set; between others the loss is unbounded"),
        /** The exponential mechanism over the whole eligible vocabulary. */
        EVERY_PAIR("ε holds between any two eligible tokens");

        private final String text;

        Scope(String text) { this.text = text; }

        public String text() { return text; }
    }

    static Guarantee of(String sanitizer, double epsilon, int mechanized, int verbatim, Scope scope) {
        return new Guarantee(sanitizer, epsilon, mechanized, verbatim, mechanized == 0 ? 0 : mechanized * epsilon, scope, scope.text());
    }

    /** Whether ε bounds every pair of user tokens of this request: every one was mechanized, by an every-pair mechanism. */
    public boolean coversEveryToken() {
        return scope == Scope.EVERY_PAIR && verbatimTokens == 0 && Double.isFinite(epsilonPerToken);
    }

    /**
     * The share of the prompt's own tokens the server received as they are, outside ε: the verbatim ones, and with
     * sanitization off (ε ∞) every one. 0 for a prompt with none.
     */
    public double verbatimShare() {
        int n = mechanizedTokens + verbatimTokens;
        return n == 0 ? 0 : verbatim() / (double) n;
    }

    /**
     * The headline, which every report puts before ε: "65% of prompt tokens sent verbatim (21 of 32)". A share that is
     * neither none nor all never reads as 0% or 100%.
     */
    public String verbatimLine() {
        int n = mechanizedTokens + verbatimTokens, v = verbatim();
        long percent = Math.round(100.0 * v / Math.max(1, n));
        if (v > 0) percent = Math.max(1, percent);
        if (v < n) percent = Math.min(99, percent);
        return String.format(Locale.ROOT, "%d%% of prompt tokens sent verbatim (%d of %d)%s", percent, v, n,
                Double.isInfinite(epsilonPerToken) && n > 0 ? ": sanitization off" : "");
    }

    /** User tokens the server received unchanged by any mechanism: all of them when sanitization is off. */
    private int verbatim() {
        return Double.isInfinite(epsilonPerToken) ? mechanizedTokens + verbatimTokens : verbatimTokens;
    }

    /** "privacy spend: 3 tokens × ε 1.0 = 3.0 (rnm: ε holds only …; 5 tokens sent verbatim, not covered)". */
    public String line() {
        String verbatim = verbatimTokens == 0 ? "" : String.format(Locale.ROOT, "; %d token%s sent verbatim, not covered", verbatimTokens,
                verbatimTokens == 1 ? "" : "s");
        return String.format(Locale.ROOT, "privacy spend: %d token%s × ε %s = %s (%s: %s%s)", mechanizedTokens,
                mechanizedTokens == 1 ? "" : "s",
                format(epsilonPerToken), format(totalEpsilon), sanitizer, Double.isInfinite(epsilonPerToken) ? "sanitization off" : covers,
                verbatim);
    }

    static String format(double e) {
        return Double.isInfinite(e) ? "∞" : Double.toString(e);
    }
}
