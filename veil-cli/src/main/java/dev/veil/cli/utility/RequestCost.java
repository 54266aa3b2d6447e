package dev.veil.cli.utility;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.cmif.EmbeddingSpace;
import dev.veil.node.cmif.ExactRandom;
import dev.veil.node.cmif.Sanitizer;
import dev.veil.node.cmif.SanitizerParams;
import dev.veil.node.cmif.Sanitizers;
import dev.veil.node.cmif.SensitiveSet;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The sanitizer's share of a whole request, token level: prompt → tokenize → sanitize (BOS is template) →
 * prefill and generate on the model. Times are per request; the share is the median over requests.
 */
public final class RequestCost {
    /** @param share median sanitizer time / request time; micros median sanitizer time per request */
    public record Result(String sanitizer, double share, double sanitizerMicros, double requestMillis, int requests) {}

    private final Model model;
    private final EmbeddingSpace space;
    private final long[] counts;

    public RequestCost(Model model, List<String> corpus) {
        this.model = model;
        this.space = EmbeddingSpace.fromModel(model);
        this.counts = SensitiveSet.count(space, corpus.stream().map(model.tokenizer()::encode).toList());
    }

    public Result measure(String name, SanitizerParams params, Path cacheDir, List<String> prompts, int generate) {
        Sanitizer sanitizer = Sanitizers.create(name, space, counts, params, cacheDir);
        var generator = new Generator(model, new LocalLinearOps(model.config(), model.linear()));
        var random = ExactRandom.create();
        int warmup = Math.min(10, prompts.size());
        double[] shares = new double[prompts.size()], micros = new double[prompts.size()], millis = new double[prompts.size()];
        for (int round = 0; round < 2; round++) {
            for (int r = 0; r < (round == 0 ? warmup : prompts.size()); r++) {
                long t0 = System.nanoTime();
                int[] encoded = model.tokenizer().encode(prompts.get(r));
                int[] ids = new int[encoded.length + 1];
                ids[0] = model.tokenizer().bos();
                System.arraycopy(encoded, 0, ids, 1, encoded.length);
                boolean[] editable = new boolean[ids.length];
                Arrays.fill(editable, 1, ids.length, true);
                long t1 = System.nanoTime();
                int[] sanitized = sanitizer.sanitize(ids, editable, random).ids();
                long t2 = System.nanoTime();
                generator.generate(sanitized, generate, Sampler.greedy(), t -> {});
                long t3 = System.nanoTime();
                shares[r] = (double) (t2 - t1) / (t3 - t0);
                micros[r] = (t2 - t1) / 1e3;
                millis[r] = (t3 - t0) / 1e6;
            }
        }
        return new Result(name, median(shares), median(micros), median(millis), prompts.size());
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
