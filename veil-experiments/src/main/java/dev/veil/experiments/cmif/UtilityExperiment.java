package dev.veil.experiments.cmif;

import dev.veil.engine.Parallel;
import dev.veil.node.cmif.EmbeddingSpace;
import dev.veil.node.cmif.ExactRandom;
import dev.veil.node.cmif.SanitizerParams;
import dev.veil.node.cmif.Sanitizers;
import dev.veil.node.cmif.SensitiveSet;
import dev.veil.node.cmif.WordSanitizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The papers' utility experiment, word level: SST-2 is sanitized (train and test alike) with GloVe vectors, a
 * logistic regression is trained on the averaged GloVe vectors of the sanitized training sentences, and its
 * accuracy is measured on the sanitized test sentences. The same classifier on clean text is the ceiling.
 */
public final class UtilityExperiment {
    private static final int CHUNK = 512;
    private static final double LAMBDA = 1e-4;

    /** One cell of the table. */
    public record Cell(String sanitizer, double epsilon, double accuracy, double changedShare, double meanSentenceEpsilon,
                       double microsPerWord) {}

    private final Sst2 train, test;
    private final EmbeddingSpace glove;
    private final long[] counts;
    private final SanitizerParams base;
    private final Path cacheDir;
    private final Long seed;

    public UtilityExperiment(Sst2 train, Sst2 test, EmbeddingSpace glove, SanitizerParams base, Path cacheDir, Long seed) {
        this.train = train;
        this.test = test;
        this.glove = glove;
        this.base = base;
        this.cacheDir = cacheDir;
        this.seed = seed;
        this.counts = SensitiveSet.count(glove, train.sentences().stream().map(s -> ids(glove, s)).toList());
    }

    /** The words of every sentence, for loading just those GloVe vectors. */
    public static Set<String> vocabulary(Sst2... sets) {
        Set<String> words = new LinkedHashSet<>();
        for (Sst2 s : sets) for (String sentence : s.sentences()) words.addAll(List.of(WordSanitizer.words(sentence)));
        return words;
    }

    /** Accuracy on clean text. */
    public double clean() {
        return classify(train.sentences(), test.sentences());
    }

    public Cell run(String sanitizer, double epsilon) {
        var ws = new WordSanitizer(Sanitizers.create(sanitizer, glove, counts, base.withEpsilon(epsilon), cacheDir), glove);
        var stats = new Totals();
        List<String> trainText = sanitize(ws, train, 0, stats), testText = sanitize(ws, test, 1, stats);
        double accuracy = classify(trainText, testText);
        int sentences = train.size() + test.size();
        return new Cell(sanitizer, epsilon, accuracy, (double) stats.changed.get() / stats.words.get(),
                stats.epsilonMilli.get() / 1000.0 / sentences, stats.nanos.get() / 1000.0 / stats.words.get());
    }

    private static final class Totals {
        final AtomicLong words = new AtomicLong(), changed = new AtomicLong(), nanos = new AtomicLong(), epsilonMilli = new AtomicLong();
    }

    private List<String> sanitize(WordSanitizer ws, Sst2 data, int stream, Totals totals) {
        String[] out = new String[data.size()];
        int chunks = (data.size() + CHUNK - 1) / CHUNK;
        Parallel.forEach(chunks, c -> {
            var random = seed == null ? ExactRandom.create() : ExactRandom.seeded(seed * 1_000_003L + stream * 100_003L + c);
            long words = 0, changed = 0, nanos = 0;
            double spent = 0;
            for (int i = c * CHUNK; i < Math.min(data.size(), (c + 1) * CHUNK); i++) {
                String sentence = data.sentences().get(i);
                long t0 = System.nanoTime();
                var r = ws.sanitize(sentence, random);
                nanos += System.nanoTime() - t0;
                out[i] = r.text();
                String[] before = WordSanitizer.words(sentence);
                words += before.length;
                for (int w = 0; w < before.length; w++) if (!before[w].equals(r.words()[w])) changed++;
                if (Double.isFinite(r.sanitized().totalEpsilon())) spent += r.sanitized().totalEpsilon();
            }
            totals.words.addAndGet(words);
            totals.changed.addAndGet(changed);
            totals.nanos.addAndGet(nanos);
            totals.epsilonMilli.addAndGet(Math.round(spent * 1000));
        });
        return List.of(out);
    }

    private double classify(List<String> trainText, List<String> testText) {
        var model = LogisticRegression.fit(features(trainText), train.labels(), LAMBDA);
        return model.accuracy(features(testText), test.labels());
    }

    /** Mean GloVe vector of a sentence's known words (zeros when none is known). */
    private float[][] features(List<String> sentences) {
        float[][] x = new float[sentences.size()][];
        Parallel.forEach(sentences.size(), i -> {
            float[] f = new float[glove.dim()];
            int n = 0;
            for (String w : WordSanitizer.words(sentences.get(i))) {
                int id = glove.id(w);
                if (id < 0) continue;
                for (int j = 0; j < f.length; j++) f[j] += glove.get(id, j);
                n++;
            }
            if (n > 0) for (int j = 0; j < f.length; j++) f[j] /= n;
            x[i] = f;
        });
        return x;
    }

    private static int[] ids(EmbeddingSpace space, String sentence) {
        String[] words = WordSanitizer.words(sentence);
        int[] ids = new int[words.length];
        for (int i = 0; i < words.length; i++) ids[i] = space.id(words[i]);
        return ids;
    }

    /** Rows of a table: one per ε, one column per sanitizer. */
    public static List<List<Cell>> byEpsilon(List<Cell> cells, List<Double> epsilons) {
        List<List<Cell>> rows = new ArrayList<>();
        for (double e : epsilons) rows.add(cells.stream().filter(c -> Double.compare(c.epsilon(), e) == 0).toList());
        return rows;
    }
}
