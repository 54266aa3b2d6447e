package dev.veil.attack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** Sentences from a TSV corpus (first column; a "sentence\tlabel" or "text\tlabel" header is skipped). */
public final class Corpus {
    private Corpus() {}

    public static List<String> read(Path tsv) throws IOException {
        if (!Files.isRegularFile(tsv)) throw new IllegalArgumentException("corpus file not found: " + tsv);
        List<String> out = new ArrayList<>();
        boolean first = true;
        for (String line : Files.readAllLines(tsv)) {
            String text = line.split("\t", 2)[0].strip();
            if (first && (text.equals("sentence") || text.equals("text"))) { first = false; continue; }
            first = false;
            if (!text.isEmpty()) out.add(text);
        }
        return out;
    }

    /** {@code n} sentences drawn without replacement under {@code seed} (all of them, shuffled, if fewer). */
    public static List<String> sample(List<String> sentences, int n, long seed) {
        List<String> copy = new ArrayList<>(sentences);
        var random = new SplittableRandom(seed);
        for (int i = copy.size() - 1; i > 0; i--) java.util.Collections.swap(copy, i, random.nextInt(i + 1));
        return copy.subList(0, Math.min(n, copy.size()));
    }

    /** Public sentences with every victim sentence (compared with collapsed whitespace) removed. */
    public static List<String> disjoint(List<String> publicText, Collection<String> victim) {
        Set<String> seen = new HashSet<>();
        for (String v : victim) seen.add(key(v));
        return publicText.stream().filter(s -> !seen.contains(key(s))).toList();
    }

    private static String key(String s) {
        return s.strip().replaceAll("\\s+", " ");
    }
}
