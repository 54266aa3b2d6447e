package dev.veil.node.remo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.InMemoryModels;
import dev.veil.engine.Shared;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ReMO over real loopback sockets gives the plain engine's output: bit for bit in exact mode. */
@Timeout(120)
class RemoEndToEndTest {
    static Model stories() throws Exception {
        return Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
    }

    /** Greedy prefill + decode with both; returns the largest relative logit difference; exact asserts equal bits. */
    static double compare(Model model, LinearOps plain, LinearOps remo, int[] prompt, int steps, boolean exact) {
        return compare(model, plain, remo, prompt, steps, exact, true);
    }

    /**
     * Runs the prompt and {@code steps} greedy steps through both, feeding both the plain run's tokens; checks
     * bit-identical logits ({@code exact}) or the same greedy choice ({@code sameTokens}) at every step, and
     * returns the largest relative logit difference.
     */
    static double compare(Model model, LinearOps plain, LinearOps remo, int[] prompt, int steps, boolean exact, boolean sameTokens) {
        LlamaConfig c = model.config();
        var a = new Forward(c, model.node(), plain);
        var b = new Forward(c, model.node(), remo);
        var ca = new KVCache(c, prompt.length + steps);
        var cb = new KVCache(c, prompt.length + steps);
        float[] la = a.forward(prompt, ca, true), lb = b.forward(prompt, cb, true); // prefill, every position's logits
        double worst = 0;
        for (int step = 0; ; step++) {
            if (exact) assertArrayEquals(la, lb, "logits differ at step " + step);
            worst = Math.max(worst, relativeDifference(la, lb));
            int last = la.length / c.vocabSize() - 1;
            int ta = Sampler.greedy().sample(la, last * c.vocabSize(), c.vocabSize());
            int tb = Sampler.greedy().sample(lb, last * c.vocabSize(), c.vocabSize());
            if (sameTokens) assertEquals(ta, tb, "greedy token differs at step " + step);
            if (step == steps) return worst;
            la = a.forward(new int[] {ta}, ca, false);
            lb = b.forward(new int[] {ta}, cb, false);
        }
    }

    static double relativeDifference(float[] x, float[] y) {
        double diff = 0, norm = 0;
        for (int i = 0; i < x.length; i++) {
            diff = Math.max(diff, Math.abs(x[i] - y[i]));
            norm = Math.max(norm, Math.abs(x[i]));
        }
        return diff / norm;
    }

    static final int[] PROMPT = {1, 403, 407, 261, 378, 430, 259, 300}; // BOS + "Once upon a time..." style ids

    @Test
    void storiesExactModeIsBitIdenticalForPrefillAndDecode() throws Exception {
        Model model = stories();
        for (Numeric numeric : new Numeric[] {Numeric.Z64, Numeric.Z32}) {
            try (var split = new SplitRuntime(model, RemoConfig.of(MaskSize.fraction(0.25), numeric), null)) {
                compare(model, numeric.plain(model.config(), model.linear()), split.node.linear(), PROMPT, 24, true);
            }
        }
    }

    @Test
    void storiesFloatModeDecodesTheSameGreedyText() throws Exception {
        Model model = stories();
        try (var split = new SplitRuntime(model, RemoConfig.of(MaskSize.fraction(0.125), Numeric.FLOAT), null)) {
            var plain = new dev.veil.engine.inference.Generator(model, Numeric.FLOAT.plain(model.config(), model.linear()));
            int[] bos = {model.tokenizer().bos()};
            int[] expected = plain.generate(bos, 80, Sampler.greedy(), t -> {});
            int[] got = split.node.generator().generate(bos, 80, Sampler.greedy(), t -> {});
            assertArrayEquals(expected, got);
            double worst = compare(model, Numeric.FLOAT.plain(model.config(), model.linear()), split.node.linear(), PROMPT, 16, false);
            assertTrue(worst < 1e-4, "relative logit difference " + worst); // about 2e-6 at mask scale 1
            assertTrue(split.node.stats().calls() > 0 && split.node.channel().traffic().bytesSent() > 0);
        }
    }

    @Test
    void randomModelsOfEachArchitectureAreBitIdenticalInExactMode() throws Exception {
        for (LlamaConfig c : new LlamaConfig[] {InMemoryModels.llama(), InMemoryModels.qwen2(), InMemoryModels.qwen3()}) {
            Model model = InMemoryModels.create(c, 11);
            int[] prompt = {3, 17, 42, 9, 120, 5};
            for (var size : new MaskSize[] {MaskSize.rows(1), MaskSize.fraction(0.5), MaskSize.rows(10_000)}) {
                try (var split = new SplitRuntime(model, RemoConfig.of(size, Numeric.Z64), null)) {
                    compare(model, Numeric.Z64.plain(c, model.linear()), split.node.linear(), prompt, 6, true);
                }
            }
            try (var split = new SplitRuntime(model, RemoConfig.of(MaskSize.fraction(0.25), Numeric.FLOAT), null)) {
                double worst = compare(model, Numeric.FLOAT.plain(c, model.linear()), split.node.linear(), prompt, 6, false);
                assertTrue(worst < 1e-4, c.architecture() + ": relative logit difference " + worst);
            }
        }
    }

    @Test
    void concurrentSessionsEachGetThePlainOutput() throws Exception {
        Model model = stories();
        var plainOps = Numeric.Z64.plain(model.config(), model.linear());
        int sessions = 4;
        List<int[]> prompts = new ArrayList<>();
        for (int s = 0; s < sessions; s++) prompts.add(new int[] {1, 300 + s, 400 - s, 261});
        List<int[]> expected = new ArrayList<>();
        for (int[] p : prompts) expected.add(new dev.veil.engine.inference.Generator(model, plainOps).generate(p, 30, Sampler.greedy(), t -> {}));
        try (var split = new SplitRuntime(model, RemoConfig.of(MaskSize.fraction(0.25), Numeric.Z64), null);
             var pool = Executors.newFixedThreadPool(sessions)) {
            List<Future<int[]>> results = new ArrayList<>();
            for (int[] p : prompts) results.add(pool.submit(() -> split.node.generator().generate(p, 30, Sampler.greedy(), t -> {})));
            for (int s = 0; s < sessions; s++) assertArrayEquals(expected.get(s), results.get(s).get(), "session " + s);
            // the server answered every call of every session once: a forward pass for the prompt and one per token fed
            // back (all but the 30th, or up to the stop token), each a call per matrix (four per layer and the LM head),
            // besides one set-up call per matrix for its public base
            long forwards = expected.stream().mapToLong(g -> Math.min(g.length + 1, 30)).sum();
            long matrices = 4L * model.config().layers() + 1;
            long[] stats = split.weights.stats(); // batches, calls, rows, nanos
            assertEquals(forwards * matrices, split.node.stats().calls(), "the node's masked calls");
            assertEquals((forwards + 1) * matrices, stats[1], "calls the server answered");
        }
    }
}
