package dev.veil.protocol;

/** Counts for people, in the right number: "1 token", "2 tokens", "1 API key", "3 identities", "12345 rows". */
public final class Counts {
    private Counts() {}

    /** {@code n} and the noun, singular for exactly one. */
    public static String of(long n, String singular) {
        return n + " " + noun(n, singular);
    }

    /** The noun alone, for format strings: {@code singular} for exactly one, else its plural. */
    public static String noun(long n, String singular) {
        return n == 1 ? singular : plural(singular);
    }

    /** English plurals of the nouns Veil counts: identity → identities, batch → batches, token → tokens. */
    static String plural(String s) {
        if (s.endsWith("y") && s.length() > 1 && "aeiou".indexOf(s.charAt(s.length() - 2)) < 0) {
            return s.substring(0, s.length() - 1) + "ies";
        }
        if (s.endsWith("s") || s.endsWith("x") || s.endsWith("ch") || s.endsWith("sh")) return s + "es";
        return s + "s";
    }
}
