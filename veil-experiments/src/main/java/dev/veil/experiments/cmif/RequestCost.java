package dev.veil.experiments.cmif;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.cmif.CmifScheme;
import dev.veil.node.cmif.CorpusCounts;
import dev.veil.node.cmif.EmbeddingSpace;
import dev.veil.node.cmif.Sanitized;
import dev.veil.node.cmif.Sanitizer;
import dev.veil.node.cmif.SanitizerParams;
import dev.veil.node.cmif.Sanitizers;
import dev.veil.weights.InProcessWeightsServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The sanitizer's share of a whole CMIF request, token level: prompt → tokenize → sanitize (BOS is template) →
 * embed → decoder layers on the weights server (in process, through the codec) → final norm, LM head, sampling,
 * for every generated token. Times are per request; the share is the median over requests.
 */
public final class RequestCost {
    /** @param share median sanitizer time / request time; micros median sanitizer time per request */
    public record Result(String sanitizer, double share, double sanitizerMicros, double requestMillis, int requests) {}

    private final Model model;
    private final EmbeddingSpace space;
    private final long[] counts;

    /** @param corpus text file whose token counts define the sensitive set (see {@link CorpusCounts}) */
    public RequestCost(Model model, Path corpus, Path cacheDir) throws IOException {
        this.model = model;
        this.space = EmbeddingSpace.fromModel(model);
        this.counts = CorpusCounts.of(space, corpus, model.tokenizer()::encode, cacheDir);
    }

    public Result measure(String name, SanitizerParams params, Path cacheDir, List<String> prompts, int generate) {
        var sanitizer = new Timed(Sanitizers.create(name, space, counts, params, cacheDir));
        int warmup = Math.min(10, prompts.size());
        double[] shares = new double[prompts.size()], micros = new double[prompts.size()], millis = new double[prompts.size()];
        try (var node = CmifScheme.of(sanitizer).open(model, "request-cost", List.of(new InProcessWeightsServer(model, "request-cost", null)))) {
            for (int round = 0; round < 2; round++) {
                for (int r = 0; r < (round == 0 ? warmup : prompts.size()); r++) {
                    long t0 = System.nanoTime();
                    int[] encoded = model.tokenizer().encode(prompts.get(r));
                    int[] ids = new int[encoded.length + 1];
                    ids[0] = model.tokenizer().bos();
                    System.arraycopy(encoded, 0, ids, 1, encoded.length);
                    boolean[] editable = new boolean[ids.length];
                    Arrays.fill(editable, 1, ids.length, true);
                    try (var session = node.session()) {
                        session.generate(ids, editable, generate, Sampler.greedy(), t -> {});
                    }
                    long total = System.nanoTime() - t0;
                    shares[r] = (double) sanitizer.lastNanos / total;
                    micros[r] = sanitizer.lastNanos / 1e3;
                    millis[r] = total / 1e6;
                }
            }
        }
        return new Result(name, median(shares), median(micros), median(millis), prompts.size());
    }

    /** Times each call of the sanitizer it wraps. */
    private static final class Timed implements Sanitizer {
        private final Sanitizer inner;
        long lastNanos;

        Timed(Sanitizer inner) {
            this.inner = inner;
        }

        @Override public String name() { return inner.name(); }

        @Override public double epsilon() { return inner.epsilon(); }

        @Override
        public Sanitized sanitize(int[] ids, boolean[] editable, dev.veil.node.cmif.Draws draws) {
            long t0 = System.nanoTime();
            var s = inner.sanitize(ids, editable, draws);
            lastNanos = System.nanoTime() - t0;
            return s;
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
