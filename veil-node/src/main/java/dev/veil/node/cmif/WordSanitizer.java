package dev.veil.node.cmif;

import java.util.regex.Pattern;

/**
 * Word-level sanitization, the papers' setting: text is split on white space, each word looked up in a word
 * vector space (GloVe), sanitized, and joined again. A word the space does not know is replaced by a uniformly
 * random word (as SanText does): its output does not depend on it, so it spends nothing and never leaks.
 */
public final class WordSanitizer {
    private static final Pattern SPACE = Pattern.compile("\\s+");

    private final Sanitizer sanitizer;
    private final EmbeddingSpace space;
    private final int[] eligible;

    public WordSanitizer(Sanitizer sanitizer, EmbeddingSpace space) {
        this.sanitizer = sanitizer;
        this.space = space;
        this.eligible = java.util.stream.IntStream.range(0, space.size()).filter(space::eligible).toArray();
    }

    public record Result(String text, String[] words, Sanitized sanitized, int unknown) {}

    public static String[] words(String text) {
        String t = text.strip();
        return t.isEmpty() ? new String[0] : SPACE.split(t);
    }

    public Result sanitize(String text, ExactRandom random) {
        String[] words = words(text);
        int[] ids = new int[words.length];
        int unknown = 0;
        for (int i = 0; i < words.length; i++) ids[i] = space.id(words[i]);
        Sanitized s = sanitizer.sanitize(ids, random);
        String[] out = new String[words.length];
        for (int i = 0; i < words.length; i++) {
            if (ids[i] >= 0) {
                out[i] = space.label(s.ids()[i]);
            } else if (sanitizer.epsilon() == Double.POSITIVE_INFINITY) {
                out[i] = words[i];
            } else {
                out[i] = space.label(eligible[(int) random.uniform(eligible.length)]);
                unknown++;
            }
        }
        return new Result(String.join(" ", out), out, s, unknown);
    }

    public Sanitizer sanitizer() { return sanitizer; }
}
